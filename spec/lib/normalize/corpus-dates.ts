/**
 * Corpus values for date fields (`date_messaged`, written YYYY-MM-DD) and date-time fields
 * (`created_at`, written as ISO 8601 UTC): moments spread over 2015–2030, each written in every
 * shape exports hold, plus hand-picked values; the expected forms come from the moment itself.
 */
import { entry, type CorpusEntry } from './corpus-people.js';

const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const EN_SHORT = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const EN_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const FR_MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];
const FR_SHORT = ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'];
const FR_DAYS = ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'];

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const ordinal = (d: number) => `${d}${d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th'}`;

/** Moments from 2015 to 2030, on whole minutes, spread by a fixed step (the same every run). */
function moments(count: number): Date[] {
  const start = Date.UTC(2015, 0, 1);
  const span = Date.UTC(2030, 11, 31) - start;
  return Array.from({ length: count }, (_, i) => new Date(start + Math.floor(((((i * 7919) % count) / count) * span) / 60_000) * 60_000));
}

export function dateCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  moments(64).forEach((t, i) => {
    const [y, m, d, wd] = [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCDay()];
    const iso = `${y}-${pad(m + 1)}-${pad(d)}`;
    const add = (shape: string, input: string | number) => out.push(entry('date_messaged', shape, input, iso));
    add('dates.iso', [iso, `${y}-${m + 1}-${d}`, `${y}/${pad(m + 1)}/${pad(d)}`][i % 3]);
    add(
      'dates.iso_time',
      [`${iso}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:00`, `${iso} 23:59:59`, `${iso}T23:30:00-05:00`, `${iso}T09:30:00.123456Z`][i % 4],
    );
    add('dates.slashed', [`${pad(m + 1)}/${pad(d)}/${y}`, `${m + 1}/${d}/${y}`, `${pad(m + 1)}-${pad(d)}-${y}`][i % 3]);
    add(
      'dates.english',
      [`${EN_MONTHS[m]} ${d}, ${y}`, `${d} ${EN_MONTHS[m]} ${y}`, `${EN_MONTHS[m]} ${ordinal(d)}, ${y}`, `${y} ${EN_MONTHS[m]} ${d}`][i % 4],
    );
    add(
      'dates.english_short',
      [
        `${EN_SHORT[m]} ${d}, ${y}`,
        `${EN_SHORT[m]} ${d} '${String(y).slice(2)}`,
        `${EN_DAYS[wd]}, ${EN_MONTHS[m]} ${d}, ${y}`,
        `${EN_DAYS[wd].slice(0, 3)}, ${d} ${EN_SHORT[m]} ${y}`,
      ][i % 4],
    );
    add(
      'dates.french',
      [
        `${d === 1 ? '1er' : d} ${FR_MONTHS[m]} ${y}`,
        `le ${d} ${FR_MONTHS[m]} ${y}`,
        `${FR_DAYS[wd]} ${d} ${FR_MONTHS[m]} ${y}`,
        `${d} ${FR_SHORT[m]} ${y}`,
        `${d} ${FR_MONTHS[m].toUpperCase()} ${y}`,
      ][i % 5],
    );
    const midday = Date.UTC(y, m, d, 12);
    add('dates.epoch_seconds', i % 2 ? midday / 1000 : String(midday / 1000));
    add('dates.epoch_milliseconds', midday + (i % 1000));
  });
  moments(40).forEach((t, i) => {
    const [y, m, d] = [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()];
    const [h, mi] = [t.getUTCHours(), t.getUTCMinutes()];
    const iso = t.toISOString();
    const add = (shape: string, input: string | number, value = iso) => out.push(entry('created_at', shape, input, value));
    const day = `${y}-${pad(m + 1)}-${pad(d)}`;
    add('dates.datetime_naive', [`${day} ${pad(h)}:${pad(mi)}:00`, `${day}T${pad(h)}:${pad(mi)}`, `${day}T${pad(h)}:${pad(mi)}:00Z`][i % 3]);
    add('dates.datetime_naive', iso, iso);
    const before = new Date(t.getTime() - 5 * 3_600_000);
    add('dates.datetime_zone', `${before.toISOString().slice(0, 19)}-05:00`);
    const twelve = h % 12 === 0 ? 12 : h % 12;
    add('dates.datetime_ampm', `${pad(m + 1)}/${pad(d)}/${y} ${twelve}:${pad(mi)} ${h < 12 ? 'AM' : 'PM'}`);
    add('dates.datetime_english', `${EN_MONTHS[m]} ${d}, ${y} ${twelve}:${pad(mi)} ${h < 12 ? 'AM' : 'PM'}`);
    add('dates.datetime_english', `${EN_SHORT[m]} ${d}, ${y}`, `${day}T00:00:00.000Z`);
    add('dates.datetime_french', `${d} ${FR_MONTHS[m]} ${y} à ${h}h${pad(mi)}`);
    add('dates.datetime_epoch', i % 2 ? t.getTime() / 1000 : t.getTime());
  });
  const picked: Array<[string, string, string | number, string | null, string[]?]> = [
    ['date_messaged', 'dates.no_year', 'March 4', null, ['invalid_date']],
    ['date_messaged', 'dates.no_year', '4 mars', null, ['invalid_date']],
    ['date_messaged', 'dates.no_year', 'yesterday', null, ['invalid_date']],
    ['date_messaged', 'dates.no_year', 'next Friday', null, ['invalid_date']],
    ['date_messaged', 'dates.no_year', 'Feb 29, 2025', null, ['invalid_date']],
    ['date_messaged', 'dates.no_year', 'Q3 2025', null, ['invalid_date']],
    ['date_messaged', 'dates.no_year', 'Meeting on March 4, 2025 at the office', null, ['invalid_date']],
    ['date_messaged', 'dates.slashed', '14/08/2025', null, ['invalid_date']],
    ['date_messaged', 'dates.english', 'Aug 14, 2025', '2025-08-14'],
    ['date_messaged', 'dates.french', '1er janvier 2026', '2026-01-01'],
    ['date_messaged', 'dates.french', '29 février 2024', '2024-02-29'],
    ['date_messaged', 'dates.english_short', 'Sept 4, 2025', '2025-09-04'],
    ['date_messaged', 'dates.french', '4 Aout 2025', '2025-08-04'],
    ['date_messaged', 'dates.epoch_seconds', '1741046400', '2025-03-04'],
    ['created_at', 'dates.other_number', 45720, null, ['invalid_date']],
    ['created_at', 'dates.other_number', 20250304, null, ['invalid_date']],
    ['created_at', 'dates.other_number', 0, null, ['invalid_date']],
    ['created_at', 'dates.other_number', 1741082400123.5, null, ['invalid_date']],
    ['created_at', 'dates.datetime_english', 'March 4, 2025 3:30 PM EST', '2025-03-04T20:30:00.000Z'],
    ['created_at', 'dates.datetime_french', 'le 4 mars 2025 à 14 h 30', '2025-03-04T14:30:00.000Z'],
    ['created_at', 'dates.datetime_epoch', '1741082400.5', '2025-03-04T10:00:00.500Z'],
    ['created_at', 'dates.datetime_zone', '2025-12-31T23:59:59-01:00', '2026-01-01T00:59:59.000Z'],
    ['created_at', 'dates.no_year', 'not a time', null, ['invalid_date']],
  ];
  return [...out, ...picked.map(([field, shape, input, value, problems]) => entry(field, shape, input, value, problems))];
}
