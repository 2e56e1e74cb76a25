// An IQ component → the finding's package and location. Packages are named exactly as the
// Dependency-Check plugin names them (purl → name via its packageFromPurl), so that the same CVE in
// the same package@version from both tools shares one package identity.
import type { FindingLocation, FindingPackage } from '../../../src/domain/finding.js';
import { buildPurl, isRecord, str } from '../../../src/plugins/parse-helpers.js';
import { packageFromPurl } from '../dependency-check/common.js';
import type { ComponentIdentifier } from './schema.js';

/** The identity fields raw and policy components share. */
export interface IqComponent {
  hash?: string | null | undefined;
  componentIdentifier?: ComponentIdentifier | null | undefined;
  packageUrl?: string | null | undefined;
  displayName?: string | null | undefined;
  pathnames?: string[] | null | undefined;
}

/** IQ formats whose coordinates are {name, version} and whose purl type is the format itself. */
const NAME_FORMATS = new Set(['pypi', 'gem', 'golang', 'cargo', 'conda', 'conan', 'cran', 'cocoapods', 'swift', 'composer', 'rpm', 'generic']);
/** IQ formats whose coordinates are {packageId, version}. */
const PACKAGE_ID_FORMATS = new Set(['npm', 'nuget']);

/** Splits "@scope/name" or "github.com/a/b" into purl namespace and name. */
function splitName(full: string): { namespace?: string; name: string } {
  const slash = full.lastIndexOf('/');
  return slash > 0 ? { namespace: full.slice(0, slash), name: full.slice(slash + 1) } : { name: full };
}

/** A purl from IQ coordinates, for reports that predate `packageUrl`; undefined for formats without a purl type (a-name). */
export function purlFromIdentifier(identifier: ComponentIdentifier | null | undefined): string | undefined {
  if (!identifier || !isRecord(identifier.coordinates)) return undefined;
  const c = identifier.coordinates;
  const format = identifier.format.toLowerCase();
  const version = str(c.version);
  if (format === 'maven') {
    const groupId = str(c.groupId);
    const artifactId = str(c.artifactId);
    return groupId && artifactId ? buildPurl('maven', artifactId, version, groupId) : undefined;
  }
  const full = PACKAGE_ID_FORMATS.has(format) ? str(c.packageId) : NAME_FORMATS.has(format) ? str(c.name) : undefined;
  if (!full) return undefined;
  const { namespace, name } = splitName(full);
  return buildPurl(format, name, version, namespace);
}

/**
 * Maven components always get `pkg:maven/<groupId>/<artifactId>@<version>` (no `?type=jar`, as
 * Dependency-Check writes it); other components IQ's `packageUrl`, else one built from coordinates;
 * `a-name` and unknown formats keep their name and version without a purl.
 */
export function packageOf(component: IqComponent): FindingPackage | undefined {
  const identifier = component.componentIdentifier ?? undefined;
  const format = identifier?.format.toLowerCase();
  const given = str(component.packageUrl);
  const purl = format === 'maven' ? (purlFromIdentifier(identifier) ?? given?.split('?')[0]) : (given ?? purlFromIdentifier(identifier));
  const fromPurl = purl ? packageFromPurl(purl) : undefined;
  if (fromPurl) {
    return { name: fromPurl.name, ...(fromPurl.version ? { version: fromPurl.version } : {}), ...(fromPurl.ecosystem ? { ecosystem: fromPurl.ecosystem } : {}), purl };
  }
  const coordinates = identifier && isRecord(identifier.coordinates) ? identifier.coordinates : {};
  const name = str(coordinates.name) ?? str(coordinates.packageId) ?? str(component.displayName) ?? str(component.hash);
  if (!name) return undefined;
  const version = str(coordinates.version);
  return { name, ...(version ? { version } : {}), ...(format ? { ecosystem: format } : {}) };
}

/** How a person reads the component: IQ's display name, else name and version. */
export function componentLabel(component: IqComponent, pkg: FindingPackage | undefined): string {
  return str(component.displayName) ?? (pkg ? `${pkg.name}${pkg.version ? ` ${pkg.version}` : ''}` : (str(component.hash) ?? 'unknown component'));
}

/** The first pathname is the location; the rest are listed in the description. */
export function locationOf(component: IqComponent): FindingLocation | undefined {
  const path = (component.pathnames ?? []).map((p) => str(p)).find((p) => p !== undefined);
  return path ? { path } : undefined;
}

const MAX_LISTED_PATHS = 50;

/** Description lines naming the component, its hash and every further pathname (up to 50). */
export function componentDescription(component: IqComponent, label: string): string[] {
  const lines = [`Component: ${label}${str(component.hash) ? ` (hash ${str(component.hash)})` : ''}`];
  const more = (component.pathnames ?? []).slice(1).filter((p) => str(p));
  if (more.length) {
    lines.push(`Also found at: ${more.slice(0, MAX_LISTED_PATHS).join(', ')}${more.length > MAX_LISTED_PATHS ? ` and ${more.length - MAX_LISTED_PATHS} more` : ''}`);
  }
  return lines;
}

/**
 * The key a raw component and its policy counterpart meet under: IQ's component hash, else the
 * purl, else the identifier. Undefined when the component carries none of them.
 */
export function componentKey(component: IqComponent): string | undefined {
  const hash = str(component.hash);
  if (hash) return `hash:${hash}`;
  const purl = str(component.packageUrl) ?? purlFromIdentifier(component.componentIdentifier);
  if (purl) return `purl:${purl.split('?')[0]}`;
  return component.componentIdentifier ? `id:${JSON.stringify(component.componentIdentifier)}` : undefined;
}
