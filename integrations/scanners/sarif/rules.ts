// Rule lookup for SARIF results: by ruleIndex or id, across the driver and its extensions, with
// the rule facts findings need (descriptions, default level, security-severity, CWEs, tags).
import { asArray, isRecord, parseCwes, str, vulnIdsInText, type JsonRecord } from '../../../src/plugins/parse-helpers.js';

export interface RuleView {
  id: string | undefined;
  name: string | undefined;
  shortDescription: string | undefined;
  fullDescription: string | undefined;
  helpUri: string | undefined;
  defaultLevel: string | undefined;
  securitySeverity: unknown;
  tags: string[];
  /** CVE/GHSA ids named in the rule's tags, computed once per rule. */
  vulnIds: string[];
  cwes: number[];
  messageString(id: string): string | undefined;
}

function text(value: unknown): string | undefined {
  return isRecord(value) ? (str(value.text) ?? str(value.markdown)) : undefined;
}

function view(rule: JsonRecord, taxa: Map<string, number[]>): RuleView {
  const props = isRecord(rule.properties) ? rule.properties : {};
  const tags = asArray(props.tags).map(str).filter((t): t is string => !!t);
  const config = isRecord(rule.defaultConfiguration) ? rule.defaultConfiguration : {};
  const cweTags = tags.filter((t) => /cwe/i.test(t));
  const relationshipCwes = asArray(rule.relationships).flatMap((rel) => {
    const target = isRecord(rel) && isRecord(rel.target) ? rel.target : undefined;
    const component = isRecord(target?.toolComponent) ? str(target.toolComponent.name) : undefined;
    const id = str(target?.id);
    return id && (/cwe/i.test(component ?? '') || /^CWE-/i.test(id)) ? parseCwes(id.startsWith('CWE') ? id : `CWE-${id}`) : [];
  });
  const cwes = [...new Set([...parseCwes(cweTags.map((t) => t.replace(/^.*cwe[-/]?0*/i, 'CWE-'))), ...parseCwes(props.cwe), ...relationshipCwes, ...(taxa.get(str(rule.id) ?? '') ?? [])])];
  const messages = isRecord(rule.messageStrings) ? rule.messageStrings : {};
  return {
    id: str(rule.id),
    name: str(rule.name),
    shortDescription: text(rule.shortDescription),
    fullDescription: text(rule.fullDescription),
    helpUri: str(rule.helpUri),
    defaultLevel: str(config.level),
    securitySeverity: props['security-severity'],
    tags,
    vulnIds: vulnIdsInText(tags.join(' ')),
    cwes,
    messageString: (id) => text(messages[id]),
  };
}

export class RuleIndex {
  readonly #byIndex: RuleView[] = [];
  readonly #byId = new Map<string, RuleView>();

  constructor(run: JsonRecord) {
    const tool = isRecord(run.tool) ? run.tool : {};
    const components = [tool.driver, ...asArray(tool.extensions)].filter(isRecord);
    const taxa = new Map<string, number[]>();
    components.forEach((component, c) => {
      asArray(component.rules).forEach((r) => {
        if (!isRecord(r)) return;
        const v = view(r, taxa);
        if (c === 0) this.#byIndex.push(v);
        if (v.id && !this.#byId.has(v.id)) this.#byId.set(v.id, v);
      });
    });
  }

  forResult(result: JsonRecord): RuleView | undefined {
    const ruleRef = isRecord(result.rule) ? result.rule : undefined;
    const index = typeof result.ruleIndex === 'number' ? result.ruleIndex : typeof ruleRef?.index === 'number' ? ruleRef.index : undefined;
    const id = str(result.ruleId) ?? str(ruleRef?.id);
    return (id ? this.#byId.get(id) ?? this.#byId.get(id.split('/')[0]!) : undefined) ?? (index !== undefined ? this.#byIndex[index] : undefined);
  }
}
