// Shapes of CycloneDX documents that detection relies on.
import { z } from 'zod';

export const cdxJsonSchema = z.looseObject({ bomFormat: z.literal('CycloneDX'), specVersion: z.string().optional() });

/** XML BOMs: the core namespace, any version 1.0 to 1.7. */
export const CDX_XML_NAMESPACE = /cyclonedx\.org\/schema\/bom\/1\.\d/;
