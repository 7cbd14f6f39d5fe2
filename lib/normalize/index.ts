/**
 * Field standardization: one pure canonicalizer per kind of value, the configurable rule set, and
 * `compileRules` that applies them to records. The matching stages import the canonicalizers so a
 * match key and a stored value are the same string.
 */
export { compileRules, type RecordNormalizer } from './apply.js';
export { canonicalCompanyName, companyJunk, companyLegalSuffixes, suffixFamily, COMPANY_DEFAULTS, type CompanyRules } from './company.js';
export { canonicalDate, canonicalDateTime, canonicalEpoch, DATE_DEFAULTS, type DateRules } from './dates.js';
export { planDefaults, FIELD_DEFAULTS_DEFAULTS, type FieldDefaultRules } from './defaults.js';
export { canonicalEmail, EMAIL_DEFAULTS, type EmailRules } from './email.js';
export { canonicalLinkedinUrl, linkedinSlug, LINKEDIN_DEFAULTS } from './linkedin.js';
export { repairMojibake, repairText } from './name.js';
export { canonicalPersonName, PERSON_NAME_DEFAULTS, type PersonNameRules } from './person.js';
export { isCountryCode, toE164, PHONE_DEFAULTS } from './phone.js';
export { isEmpty, type Canonical, type Problem } from './result.js';
export { FIELD_STANDARDIZATION_DEFAULTS, resolveRules, RULE_NAMES, type FieldStandardization, type RuleName } from './rules.js';
export { canonicalEngagementStatus, statusKey, statusLookup, ENGAGEMENT_STATUS_DEFAULTS } from './status.js';
export { canonicalWebsite, registrableDomain, WEBSITE_DEFAULTS } from './website.js';
