// An ISO 8601 timestamp as the API accepts it: with an offset PostgreSQL can store (within ±15:59)
// and a year between 1970 and 9999, so a valid-looking value never fails deep in the database.
import { z } from 'zod';

export const isoTimestamp = z.iso
  .datetime({ offset: true })
  .refine((v) => {
    const offset = /([+-])(\d{2}):?(\d{2})$/.exec(v);
    if (offset && (Number(offset[2]) > 15 || Number(offset[3]) > 59)) return false;
    const t = Date.parse(v);
    return Number.isFinite(t) && t >= 0 && t < Date.UTC(10000, 0, 1);
  }, 'a timestamp between 1970 and 9999 with an offset within ±15:59, e.g. 2027-01-31T00:00:00Z');
