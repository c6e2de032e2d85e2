/**
 * Workforce data in the shape Finch normalizes payroll and HRIS providers to (Directory,
 * Individual, Employment, Payment, Pay Statement). One difference: Finch sends money as integer
 * cents; the canonical model uses decimal dollars like every other entity, so mappings divide by 100.
 */
import type { TProperties } from '@sinclair/typebox';
import {
  Optional,
  PHI,
  address,
  bool,
  currency,
  date,
  datePeriod,
  entity,
  formatted,
  gender,
  humanName,
  int,
  list,
  money,
  num,
  obj,
  enumOf,
  reference,
  text,
} from '../common.js';

const PAY_FREQUENCIES = [
  'annually',
  'semi_annually',
  'quarterly',
  'monthly',
  'semi_monthly',
  'bi_weekly',
  'weekly',
  'daily',
  'other',
] as const;

export const EmployeeSchema = entity(
  'Employee',
  'A person employed (or contracted) by the MSO or a practice. Finch Individual + Employment. Personal fields are marked PHI so they are redacted like patient data.',
  {
    name: humanName('Legal name; Finch first_name, middle_name, last_name.', PHI),
    preferredName: Optional(text('Preferred first name; Finch preferred_name.', PHI)),
    employeeNumber: Optional(text('Employee number in the payroll system; Finch work_id.', { maxLength: 50 })),
    emails: Optional(
      list(
        obj(
          {
            value: text('Email address; Finch emails[].data.'),
            type: Optional(enumOf(['work', 'personal'] as const, 'Finch emails[].type.')),
          },
          'One email address.',
        ),
        'Email addresses; Finch emails.',
        PHI,
      ),
    ),
    phones: Optional(
      list(
        obj(
          {
            value: text('Phone number; Finch phone_numbers[].data.'),
            type: Optional(enumOf(['work', 'personal'] as const, 'Finch phone_numbers[].type.')),
          },
          'One phone number.',
        ),
        'Phone numbers; Finch phone_numbers.',
        PHI,
      ),
    ),
    birthDate: Optional(date('Date of birth; Finch dob.', PHI)),
    ssn: Optional(formatted('ssn', 'Social Security Number, 9 digits; Finch ssn.', PHI)),
    gender: Optional(gender('Gender; Finch gender (female/male/other/decline_to_specify -> unknown).')),
    residence: Optional(address('Home address; Finch residence.', PHI)),
    title: Optional(text('Job title; Finch title.')),
    department: Optional(text('Department name; Finch department.name.')),
    manager: Optional(reference('The manager’s Employee record; Finch manager.id.')),
    employer: Optional(reference('The employing Organization (MSO or practice).')),
    location: Optional(reference('Primary work Location; Finch location.')),
    practitioner: Optional(reference('The Practitioner record when the employee is a clinician who bills.')),
    employmentType: Optional(enumOf(['employee', 'contractor'] as const, 'Finch employment.type.')),
    employmentSubtype: Optional(
      enumOf(
        ['full_time', 'part_time', 'intern', 'temp', 'seasonal', 'individual_contractor'] as const,
        'Finch employment.subtype.',
      ),
    ),
    employmentStatus: Optional(
      enumOf(
        ['active', 'deceased', 'leave', 'onboarding', 'prehire', 'retired', 'terminated'] as const,
        'Finch employment_status.',
      ),
    ),
    isActive: Optional(bool('Whether the person is currently employed; Finch is_active.')),
    flsaStatus: Optional(enumOf(['exempt', 'non_exempt'] as const, 'FLSA overtime status; Finch flsa_status.')),
    startDate: Optional(date('First day of employment; Finch start_date.')),
    endDate: Optional(date('Last day of employment; Finch end_date.')),
    latestRehireDate: Optional(date('Most recent rehire date; Finch latest_rehire_date.')),
    income: Optional(
      obj(
        {
          unit: enumOf(
            ['yearly', 'quarterly', 'monthly', 'semi_monthly', 'bi_weekly', 'weekly', 'daily', 'hourly', 'fixed'] as const,
            'Rate unit; Finch income.unit.',
          ),
          amount: money('Rate per unit in dollars; Finch income.amount / 100.', { minimum: 0 }),
          effectiveDate: Optional(date('When this rate took effect; Finch income.effective_date.')),
        },
        'Current compensation rate; Finch income.',
      ),
    ),
    currency: currency(),
  },
);

export const PayrollRunSchema = entity(
  'PayrollRun',
  'One payroll payment run for an employer: a pay date and its totals. Finch Payment.',
  {
    employer: Optional(reference('The employing Organization whose payroll this is.')),
    runType: Optional(
      enumOf(['regular', 'off_cycle', 'one_time'] as const, 'Kind of run; Finch pay statement type (regular_payroll, off_cycle_payroll, one_time_payment).'),
    ),
    payDate: date('Date employees are paid; Finch pay_date.'),
    debitDate: Optional(date('Date the employer account is debited; Finch debit_date.')),
    payPeriod: obj(
      {
        start: date('First day of the pay period; Finch pay_period.start_date.'),
        end: date('Last day of the pay period; Finch pay_period.end_date.'),
      },
      'The pay period covered; Finch pay_period.',
    ),
    payFrequencies: Optional(list(enumOf(PAY_FREQUENCIES, 'One pay frequency.'), 'Pay frequencies in this run; Finch pay_frequencies.')),
    grossPay: money('Total gross pay; Finch gross_pay.'),
    netPay: money('Total net pay; Finch net_pay.'),
    employerTaxes: Optional(money('Total employer taxes; Finch employer_taxes.')),
    employeeTaxes: Optional(money('Total employee taxes withheld; Finch employee_taxes.')),
    companyDebit: Optional(money('Total debited from the employer: net pay, taxes and contributions; Finch company_debit.')),
    employeeCount: Optional(int('Number of people paid in this run; Finch individual_ids length.', { minimum: 0 })),
    currency: currency(),
  },
);

const amountLine = <P extends TProperties>(description: string, extra: P) =>
  obj(
    {
      name: text('Line name as the payroll provider shows it; Finch name.'),
      amount: money('Amount; Finch amount / 100.'),
      ...extra,
    },
    description,
  );

export const PayStatementSchema = entity(
  'PayStatement',
  'One person’s pay for one payroll run: earnings, taxes, deductions and what the employer paid on top. Finch Pay Statement. `employerCost` = gross pay + employer taxes + employer contributions.',
  {
    employee: reference('The Employee paid; Finch individual_id.'),
    payrollRun: Optional(reference('The PayrollRun this statement belongs to; Finch payment_id.')),
    type: Optional(enumOf(['regular', 'off_cycle', 'one_time'] as const, 'Finch pay statement type.')),
    paymentMethod: Optional(enumOf(['check', 'direct_deposit', 'other'] as const, 'Finch payment_method.')),
    payDate: Optional(date('Pay date (copied from the run for queries without a join).')),
    payPeriod: Optional(datePeriod('Pay period (copied from the run).')),
    totalHours: Optional(num('Total hours worked in the period; Finch total_hours.', { minimum: 0 })),
    grossPay: money('Gross pay; Finch gross_pay.'),
    netPay: money('Net pay; Finch net_pay.'),
    earnings: list(
      obj(
        {
          type: enumOf(
            [
              'salary',
              'wage',
              'reimbursement',
              'overtime',
              'severance',
              'double_overtime',
              'pto',
              'sick',
              'bonus',
              'commission',
              'tips',
              '1099',
              'other',
            ] as const,
            'Earning type; Finch earnings[].type.',
          ),
          name: text('Earning name as the provider shows it; Finch earnings[].name.'),
          amount: money('Amount earned; Finch earnings[].amount / 100.'),
          hours: Optional(num('Hours this earning covers; Finch earnings[].hours.', { minimum: 0 })),
        },
        'One earning.',
      ),
      'Earnings; Finch earnings.',
    ),
    taxes: list(
      amountLine('One tax.', {
        type: enumOf(['federal', 'state', 'local', 'fica'] as const, 'Tax jurisdiction; Finch taxes[].type.'),
        employer: bool('True for an employer-paid tax (e.g. employer FICA), false for a withholding; Finch taxes[].employer.'),
      }),
      'Taxes withheld and employer taxes; Finch taxes.',
    ),
    deductions: list(
      amountLine('One deduction.', {
        preTax: bool('Whether it is taken before tax; Finch employee_deductions[].pre_tax.'),
        type: Optional(text('Benefit type; Finch employee_deductions[].type (e.g. `401k`, `s125_medical`, `hsa_pre`).')),
      }),
      'Employee deductions (benefits, garnishments); Finch employee_deductions.',
    ),
    employerContributions: Optional(
      list(
        amountLine('One contribution.', {
          type: Optional(text('Benefit type; Finch employer_contributions[].type.')),
        }),
        'Employer-paid benefit contributions (e.g. 401(k) match, health premiums); Finch employer_contributions.',
      ),
    ),
    employerCost: Optional(money('Total cost to the employer: gross pay + employer taxes + employer contributions (computed by the mapping when the source does not say).')),
    currency: currency(),
  },
);
