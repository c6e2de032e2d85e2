/**
 * Cross-field rules a JSON Schema cannot say readably: X12 balancing, conditional requirements by
 * claim type, pointers into sibling arrays. They run only on records that already match their
 * schema, so they can trust the shape. Each rule's description is printed in the reference.
 */
import type { ValidationIssue } from '../errors.js';
import type { EntityData, EntityName } from './schemas.js';

export interface EntityRule<N extends EntityName> {
  /** One sentence for the generated reference. */
  description: string;
  /** Appends an issue per violation; must not throw on schema-valid data. */
  check(data: EntityData<N>, issues: ValidationIssue[]): void;
}

/** Amounts are compared in integer cents: schema-valid money has at most 2 decimals, so this is exact. */
function cents(amount: number): number {
  return Math.round(amount * 100);
}

/** The sum of a list of adjustments, in cents (0 for none). */
function adjustmentCents(adjustments: readonly { amount: number }[] | undefined): number {
  let sum = 0;
  if (adjustments !== undefined) for (let k = 0; k < adjustments.length; k++) sum += cents(adjustments[k]!.amount);
  return sum;
}

function dollars(c: number): string {
  return (c / 100).toFixed(2);
}

function checkOrder(
  start: string | undefined,
  end: string | undefined,
  path: string,
  issues: ValidationIssue[],
  what = 'the start',
): void {
  // ISO dates and same-offset timestamps order correctly as strings.
  if (start !== undefined && end !== undefined && end < start) {
    issues.push({ path, message: `must not be before ${what} (${start})` });
  }
}

type RuleTable = { [N in EntityName]?: readonly EntityRule<N>[] };

export const entityRules: RuleTable = {
  Coverage: [
    {
      description: '`period.end` is not before `period.start`.',
      check: (c, issues) => checkOrder(c.period?.start, c.period?.end, '/period/end', issues),
    },
  ],
  Claim: [
    {
      description: '`totalCharge` equals the sum of the service line charges (837 CLM02 = sum of SV102 / SV203).',
      check(claim, issues) {
        let sum = 0;
        for (const line of claim.serviceLines) sum += cents(line.charge);
        if (sum !== cents(claim.totalCharge)) {
          issues.push({
            path: '/totalCharge',
            message: `must equal the sum of the service line charges (${dollars(sum)})`,
          });
        }
      },
    },
    {
      description:
        'A professional claim has `placeOfService`, at most 12 diagnoses and 50 lines, a procedure and diagnosis pointers on every line, and no `institutional` block.',
      check(claim, issues) {
        if (claim.claimType !== 'professional') return;
        if (claim.placeOfService === undefined) {
          issues.push({ path: '/placeOfService', message: 'is required for a professional claim (837P CLM05-1)' });
        }
        if (claim.diagnoses.length > 12) {
          issues.push({ path: '/diagnoses', message: 'must have at most 12 diagnoses on a professional claim (837P HI)' });
        }
        if (claim.serviceLines.length > 50) {
          issues.push({ path: '/serviceLines', message: 'must have at most 50 lines on a professional claim (837P loop 2400)' });
        }
        if (claim.institutional !== undefined) {
          issues.push({ path: '/institutional', message: 'must be absent on a professional claim' });
        }
        claim.serviceLines.forEach((line, i) => {
          if (line.procedure === undefined) {
            issues.push({ path: `/serviceLines/${i}/procedure`, message: 'is required on a professional claim line (837P SV101)' });
          }
          if (line.diagnosisPointers === undefined) {
            issues.push({
              path: `/serviceLines/${i}/diagnosisPointers`,
              message: 'is required on a professional claim line (837P SV107)',
            });
          }
        });
      },
    },
    {
      description: 'An institutional claim has the `institutional` block and a revenue code on every line.',
      check(claim, issues) {
        if (claim.claimType !== 'institutional') return;
        if (claim.institutional === undefined) {
          issues.push({ path: '/institutional', message: 'is required on an institutional claim (type of bill, statement period)' });
        } else {
          const { statementPeriod } = claim.institutional;
          checkOrder(statementPeriod.start, statementPeriod.end, '/institutional/statementPeriod/end', issues);
        }
        claim.serviceLines.forEach((line, i) => {
          if (line.revenueCode === undefined) {
            issues.push({ path: `/serviceLines/${i}/revenueCode`, message: 'is required on an institutional claim line (837I SV201)' });
          }
        });
      },
    },
    {
      description: 'Every diagnosis pointer names an existing diagnosis (1 to the number of `diagnoses`).',
      check(claim, issues) {
        const count = claim.diagnoses.length;
        claim.serviceLines.forEach((line, i) => {
          line.diagnosisPointers?.forEach((pointer, j) => {
            if (pointer > count) {
              issues.push({
                path: `/serviceLines/${i}/diagnosisPointers/${j}`,
                message: `must point at one of the ${count} diagnoses (1-${count})`,
              });
            }
          });
        });
      },
    },
    {
      description: 'A service line’s `serviceDateEnd` is not before its `serviceDate`.',
      check(claim, issues) {
        claim.serviceLines.forEach((line, i) =>
          checkOrder(line.serviceDate, line.serviceDateEnd, `/serviceLines/${i}/serviceDateEnd`, issues, 'serviceDate'),
        );
      },
    },
    {
      description: 'A replacement or void (`frequencyCode` 7 or 8) names the claim it replaces (`originalPayerClaimControlNumber`, 837 REF*F8).',
      check(claim, issues) {
        if ((claim.frequencyCode === '7' || claim.frequencyCode === '8') && claim.originalPayerClaimControlNumber === undefined) {
          issues.push({
            path: '/originalPayerClaimControlNumber',
            message: 'is required when frequencyCode is 7 (replacement) or 8 (void) (837 REF*F8)',
          });
        }
      },
    },
    {
      description: 'When the patient is not the subscriber, `subscriber.name` is present (837 loop 2010BA).',
      check(claim, issues) {
        if (claim.subscriber.relationship !== 'self' && claim.subscriber.name === undefined) {
          issues.push({ path: '/subscriber/name', message: 'is required when the patient is not the subscriber (837 2010BA NM1)' });
        }
      },
    },
  ],
  Remittance: [
    {
      description:
        'The payment balances: `paymentAmount` = sum of claim `paidAmount` - sum of provider adjustment amounts (835 BPR02 = sum CLP04 - sum PLB04).',
      check(remit, issues) {
        let expected = 0;
        for (const claim of remit.claimPayments) expected += cents(claim.paidAmount);
        for (const plb of remit.providerAdjustments ?? []) expected -= cents(plb.amount);
        if (expected !== cents(remit.paymentAmount)) {
          issues.push({
            path: '/paymentAmount',
            message: `must equal claim payments minus provider adjustments (${dollars(expected)}) (835 BPR02 balancing)`,
          });
        }
      },
    },
    {
      description:
        'Each claim payment balances: `chargeAmount` - `paidAmount` = sum of claim and service line adjustment amounts (835 CLP03 - CLP04 = sum CAS).',
      check(remit, issues) {
        // Plain loops: this runs for each of the thousands of claims a payment holds.
        const claims = remit.claimPayments;
        for (let i = 0; i < claims.length; i++) {
          const claim = claims[i]!;
          let adjusted = adjustmentCents(claim.adjustments);
          const lines = claim.serviceLinePayments;
          if (lines !== undefined) for (let j = 0; j < lines.length; j++) adjusted += adjustmentCents(lines[j]!.adjustments);
          const difference = cents(claim.chargeAmount) - cents(claim.paidAmount);
          if (difference !== adjusted) {
            issues.push({
              path: `/claimPayments/${i}/paidAmount`,
              message: `must equal chargeAmount minus the adjustments (${dollars(cents(claim.chargeAmount) - adjusted)}) (835 claim balancing)`,
            });
          }
        }
      },
    },
    {
      description:
        'Each service line payment balances: `chargeAmount` - `paidAmount` = sum of its adjustment amounts (835 SVC02 - SVC03 = sum CAS).',
      check(remit, issues) {
        const claims = remit.claimPayments;
        for (let i = 0; i < claims.length; i++) {
          const lines = claims[i]!.serviceLinePayments;
          if (lines === undefined) continue;
          for (let j = 0; j < lines.length; j++) {
            const line = lines[j]!;
            const adjusted = adjustmentCents(line.adjustments);
            if (cents(line.chargeAmount) - cents(line.paidAmount) !== adjusted) {
              issues.push({
                path: `/claimPayments/${i}/serviceLinePayments/${j}/paidAmount`,
                message: `must equal chargeAmount minus the adjustments (${dollars(cents(line.chargeAmount) - adjusted)}) (835 service line balancing)`,
              });
            }
          }
        }
      },
    },
  ],
  EligibilityCheck: [
    {
      description: '`planPeriod.end` is not before `planPeriod.start`.',
      check: (e, issues) => checkOrder(e.planPeriod?.start, e.planPeriod?.end, '/planPeriod/end', issues),
    },
  ],
  Employee: [
    {
      description: '`endDate` is not before `startDate`.',
      check: (e, issues) => checkOrder(e.startDate, e.endDate, '/endDate', issues, 'startDate'),
    },
  ],
  PayrollRun: [
    {
      description: '`payPeriod.end` is not before `payPeriod.start`.',
      check: (r, issues) => checkOrder(r.payPeriod.start, r.payPeriod.end, '/payPeriod/end', issues),
    },
  ],
  CatalogItem: [
    {
      description: '`effectivePeriod.end` is not before `effectivePeriod.start`.',
      check: (c, issues) => checkOrder(c.effectivePeriod?.start, c.effectivePeriod?.end, '/effectivePeriod/end', issues),
    },
  ],
  PurchaseOrder: [
    {
      description: 'Line numbers are unique within the order.',
      check(po, issues) {
        const seen = new Set<number>();
        po.lines.forEach((line, i) => {
          if (seen.has(line.lineNumber)) {
            issues.push({ path: `/lines/${i}/lineNumber`, message: `must be unique in the order (${line.lineNumber} is repeated)` });
          }
          seen.add(line.lineNumber);
        });
      },
    },
  ],
};
