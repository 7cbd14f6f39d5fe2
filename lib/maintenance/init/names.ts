/**
 * The canonical lead fields `--init` maps to, and the names teams give them. A name is compared
 * by its key: lower case, accents, spaces and punctuation dropped, so `E-mail`, `e_mail` and
 * `EMail` are one name.
 */

/** The data fields of the bundled schema (lib/sqlite/schema.ts) that a team's own columns can be. */
export const CANONICAL_FIELDS = [
  'name',
  'email',
  'company',
  'title',
  'linkedin_url',
  'company_website',
  'phone',
  'location',
  'industry',
  'company_size',
  'source',
  'engagement_status',
  'lead_score',
  'enriched',
  'notes',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

/**
 * The schema's other columns, which `--init` never proposes as data fields: the id, modified and
 * created columns are bookkeeping (local.id_column, modified_column, created_column); `status` and
 * `sync_status` are the pipeline's own state; the link to Airtable lives in the run state, so
 * `airtable_id` and `airtable_synced` are not proposed either.
 */
export const NOT_PROPOSED = ['id', 'created_at', 'updated_at', 'status', 'airtable_id', 'airtable_synced', 'sync_status'] as const;

/** `E-mail Address` → `emailaddress`. */
export function nameKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** Names (as keys) that mean the field outright. The field's own name is always one. */
const SYNONYMS: Record<CanonicalField, string[]> = {
  name: ['fullname', 'contact', 'contactname', 'person', 'personname', 'leadname', 'prospect', 'prospectname'],
  email: ['emailaddress', 'workemail', 'businessemail', 'emailid', 'mail', 'mailaddress', 'professionalemail'],
  company: [
    'companyname',
    'organisation',
    'organization',
    'organisationname',
    'organizationname',
    'org',
    'employer',
    'account',
    'accountname',
    'firm',
    'business',
    'businessname',
  ],
  title: ['jobtitle', 'job', 'position', 'role', 'jobrole', 'designation', 'jobposition', 'headline'],
  linkedin_url: ['linkedin', 'linkedinprofile', 'linkedinprofileurl', 'linkedinlink', 'linkedinurl', 'linkedinpage'],
  company_website: ['website', 'companywebsite', 'websiteurl', 'web', 'url', 'companyurl', 'homepage', 'domain', 'companydomain', 'site'],
  phone: ['phonenumber', 'telephone', 'tel', 'mobile', 'mobilephone', 'mobilenumber', 'cell', 'cellphone', 'workphone', 'phoneno', 'directphone'],
  location: ['city', 'address', 'region', 'place'],
  industry: ['sector', 'vertical'],
  company_size: ['employees', 'employeecount', 'numberofemployees', 'headcount', 'size', 'companyheadcount'],
  source: ['leadsource', 'origin', 'channel'],
  engagement_status: ['engagementstatus', 'outreachstatus', 'messagestatus', 'sendstatus'],
  lead_score: ['score', 'rating'],
  enriched: ['isenriched'],
  notes: ['note', 'comment', 'comments', 'remarks'],
};

/**
 * The same names in the languages CRMs and spreadsheets are often set up in (German, French,
 * Spanish, Italian, Dutch, Portuguese), as keys. Words that mean something else in another of
 * these languages are left out: `nombre` (name in Spanish, number in French), `nom` (the family
 * name in French, not the whole name), `titel` (an academic title in German).
 */
const IN_OTHER_LANGUAGES: Partial<Record<CanonicalField, string[]>> = {
  name: [
    'vollstandigername',
    'kontakt',
    'kontaktname',
    'ansprechpartner',
    'nomcomplet',
    'nombrecompleto',
    'nome',
    'nomecompleto',
    'naam',
    'volledigenaam',
    'contacto',
    'contatto',
  ],
  email: ['emailadresse', 'mailadresse', 'emailadres', 'courriel', 'adresseemail', 'adressemail', 'correo', 'correoelectronico', 'postaelettronica'],
  company: ['firma', 'firmenname', 'unternehmen', 'entreprise', 'societe', 'nomentreprise', 'empresa', 'azienda', 'bedrijf', 'bedrijfsnaam', 'organisatie'],
  title: ['funktion', 'berufsbezeichnung', 'jobtitel', 'poste', 'fonction', 'cargo', 'puesto', 'ruolo', 'functie', 'funcao'],
  company_website: ['webseite', 'internetseite', 'siteweb', 'siteinternet', 'sitioweb', 'paginaweb', 'sitoweb'],
  phone: ['telefon', 'telefonnummer', 'handy', 'mobil', 'mobiltelefon', 'portable', 'telefono', 'telefone', 'telefoon'],
  location: ['ort', 'stadt', 'standort', 'adresse', 'ville', 'ciudad', 'citta', 'cidade', 'plaats'],
  industry: ['branche', 'secteur', 'industrie', 'settore'],
  company_size: ['mitarbeiter', 'mitarbeiteranzahl', 'anzahlmitarbeiter', 'effectif', 'empleados'],
  source: ['quelle', 'herkunft', 'fuente', 'origine', 'bron'],
  notes: ['notizen', 'notiz', 'bemerkung', 'bemerkungen', 'kommentar', 'anmerkungen', 'remarques', 'notas', 'opmerkingen'],
};

/** Names of a table's last-modified and creation-time columns. */
export const MODIFIED_NAMES = [
  'updatedat',
  'updated',
  'updatedon',
  'lastupdated',
  'modified',
  'modifiedat',
  'modifiedon',
  'lastmodified',
  'lastmodifiedat',
  'lastmodifiedtime',
  'lasttouched',
  'lastedited',
  'lastchanged',
  'changedat',
  'geandert',
  'geandertam',
  'aktualisiert',
  'letzteanderung',
  'modifie',
  'modifiele',
  'actualizado',
  'modificado',
];
export const CREATED_NAMES = [
  'createdat',
  'created',
  'createdon',
  'createddate',
  'datecreated',
  'createdtime',
  'dateadded',
  'addedon',
  'added',
  'insertedat',
  'erstellt',
  'erstelltam',
  'angelegt',
  'angelegtam',
  'cree',
  'creele',
  'creado',
  'fechadecreacion',
];

const BY_KEY = new Map<string, CanonicalField>();
for (const field of CANONICAL_FIELDS) {
  for (const key of [nameKey(field), ...SYNONYMS[field], ...(IN_OTHER_LANGUAGES[field] ?? [])]) {
    const taken = BY_KEY.get(key);
    if (taken && taken !== field) throw new Error(`'${key}' names both ${taken} and ${field}.`);
    BY_KEY.set(key, field);
  }
}

/** The field a name means outright, if any. */
export function fieldByName(name: string): CanonicalField | undefined {
  return BY_KEY.get(nameKey(name));
}

/**
 * Words that point at a field when they are part of a longer name (`Primary Email`, `Mobile
 * Phone 2`). Weaker than a synonym: the values must agree, so that `Email_Confidence_Level`
 * (Real, Pattern, Guess) is not taken for an email, nor `Hotel` for a phone.
 */
const KEYWORDS: Array<[RegExp, CanonicalField]> = [
  [/linkedin/, 'linkedin_url'],
  [/email|mail/, 'email'],
  [/phone|mobile|cell|tel/, 'phone'],
  [/website|homepage|domain|url/, 'company_website'],
];

/** The field a word inside the name points at, if any. */
export function fieldByKeyword(name: string): CanonicalField | undefined {
  const key = nameKey(name);
  return KEYWORDS.find(([pattern]) => pattern.test(key))?.[1];
}

/** Whether a name is that of a last-modified (or creation-time) column. */
export function isModifiedName(name: string): boolean {
  return MODIFIED_NAMES.includes(nameKey(name));
}
export function isCreatedName(name: string): boolean {
  return CREATED_NAMES.includes(nameKey(name));
}

/** Whether a name is that of an id column (`id`, `Contact ID`, `lead_id`, `leadId`, `uuid`), not of a link to another system. */
export function isIdName(name: string): boolean {
  const key = nameKey(name);
  if (key === 'id' || key === 'uuid') return true;
  const endsInId = /(^|[^A-Za-z])id$/i.test(name.trim()) || /[a-z](ID|Id)$/.test(name.trim());
  return endsInId && !/^(airtable|record|external|linkedin|email|hubspot|salesforce|crm)/.test(key);
}
