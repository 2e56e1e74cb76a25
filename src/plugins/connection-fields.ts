// Field shapes the connection specs share.
import { z } from 'zod';

export const httpUrl = z
  .string()
  .trim()
  .max(2048)
  .url('an http(s) URL')
  .refine((v) => /^https?:\/\//i.test(v), 'an http(s) URL')
  .refine((v) => !new URL(v).username && !new URL(v).password, 'no credentials inside the URL: use the token fields');

export const secret = z.string().min(1).max(8192);
export const seconds = (min: number, max: number, fallback: number) => z.number().int().min(min).max(max).default(fallback);
export const email = z.string().trim().email().max(320);
/** E.164 phone number, as SMS providers require. */
export const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, 'a phone number in E.164 form, e.g. +15551234567');
