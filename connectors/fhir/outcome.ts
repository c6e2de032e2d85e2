import type { ValidationIssue } from '../../core/errors.js';

/** One OperationOutcome issue, as much of it as an operator needs. */
export interface OutcomeIssue {
  severity: string;
  code: string;
  diagnostics?: string;
  /** FHIRPath of the element the issue is about, when the server says. */
  expression?: string;
}

/** Diagnostics may quote what we sent; a short excerpt names the problem without copying a record into a log. */
const DIAGNOSTICS_CHARS = 200;
const ISSUES_IN_MESSAGE = 3;

/** The issues of an OperationOutcome, or undefined when the value is not one. */
export function outcomeIssues(body: unknown): OutcomeIssue[] | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const outcome = body as { resourceType?: unknown; issue?: unknown };
  if (outcome.resourceType !== 'OperationOutcome' || !Array.isArray(outcome.issue)) return undefined;
  return outcome.issue.map((raw): OutcomeIssue => {
    const issue = (raw ?? {}) as Record<string, unknown>;
    const detailsText = (issue.details as { text?: unknown } | undefined)?.text;
    const text = typeof issue.diagnostics === 'string' ? issue.diagnostics : typeof detailsText === 'string' ? detailsText : undefined;
    const where = [issue.expression, issue.location].find((list) => Array.isArray(list) && typeof list[0] === 'string') as string[] | undefined;
    return {
      severity: typeof issue.severity === 'string' ? issue.severity : 'error',
      code: typeof issue.code === 'string' ? issue.code : 'unknown',
      diagnostics: text === undefined ? undefined : excerpt(text),
      expression: where?.[0],
    };
  });
}

/** `error invalid: "Unknown search parameter …"; …` for an error message. */
export function describeOutcome(issues: OutcomeIssue[], redact: (text: string) => string): string {
  const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((issue) => {
    const where = issue.expression ? ` at ${issue.expression}` : '';
    const text = issue.diagnostics ? `: ${JSON.stringify(redact(issue.diagnostics))}` : '';
    return `${issue.severity} ${issue.code}${where}${text}`;
  });
  if (issues.length > ISSUES_IN_MESSAGE) shown.push(`${issues.length - ISSUES_IN_MESSAGE} more`);
  return `OperationOutcome ${shown.join('; ')}`;
}

export function outcomeValidationIssues(issues: OutcomeIssue[], redact: (text: string) => string): ValidationIssue[] {
  return issues.map((issue, index) => ({
    path: issue.expression ?? `OperationOutcome.issue[${index}]`,
    message: `${issue.severity} ${issue.code}${issue.diagnostics ? `: ${redact(issue.diagnostics)}` : ''}`,
  }));
}

/**
 * IssueType codes under `transient` (FHIR R4 valueset issue-type): the Bulk Data spec has a
 * server use them when a status poll failed but the export itself goes on. `exception` is one
 * too, but servers use it for "the export failed", so it does not count here.
 */
const TRANSIENT_CODES = new Set(['transient', 'lock-error', 'no-store', 'timeout', 'incomplete', 'throttled']);

export function isTransientOutcome(issues: OutcomeIssue[]): boolean {
  const errors = issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  return errors.length > 0 && errors.every((issue) => TRANSIENT_CODES.has(issue.code));
}

function excerpt(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > DIAGNOSTICS_CHARS ? `${collapsed.slice(0, DIAGNOSTICS_CHARS)}…` : collapsed;
}
