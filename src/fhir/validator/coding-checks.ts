import { isJsonObject } from '../json-object';
import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { withProfile } from './context';
import { isAbsoluteUri } from './uri-checks';
import type { Visit } from './walker';

/**
 * A Coding's system and code against the code systems loaded here (the R4 core, v2 and v3 tables,
 * and the packages given with `--ig`), whatever the binding
 * (https://hl7.org/fhir/R4/datatypes.html#Coding, https://hl7.org/fhir/R4/terminologies.html):
 * - `system` SHALL be an absolute URI; a local name (`Location1`) identifies nothing;
 * - it names a code system, so the canonical of a ValueSet is a mistake;
 * - a CodeSystem supplement (content `supplement`, or any CodeSystem that names what it
 *   `supplements`) only adds designations and properties to another code system
 *   (https://hl7.org/fhir/R4/codesystem.html#supplements): it is never a Coding's system;
 * - in a code system whose content is `complete`, a code it does not define is not a code.
 * Code systems that are not loaded, or loaded only in part, cannot tell: they are not judged.
 */
export function checkCoding(visit: Visit, ctx: CheckContext): void {
  if (visit.type !== 'Coding' || !isJsonObject(visit.value)) return;
  const { system, code } = visit.value;
  if (typeof system !== 'string') return;
  const at = `${visit.path}.system`;
  const report = (code: 'invalid' | 'not-found' | 'code-invalid', text: string, expression = at): void => {
    ctx.issues.push(issue({ code, text: withProfile(text, visit.profile), expression }));
  };
  if (!isAbsoluteUri(system)) {
    report('invalid', `Coding.system must be an absolute URI, not a local name ('${system}').`);
    return;
  }
  const cs = ctx.terminology.codeSystem(system);
  if (!cs) {
    if (ctx.terminology.hasValueSet(system))
      report('invalid', `The Coding names a value set, not a code system ('${system}').`);
    return;
  }
  if (cs.content === 'supplement' || cs.supplements !== undefined) {
    report(
      'not-found',
      `CodeSystem ${system} is a supplement, so it cannot be the system of a Coding (name the code system it supplements, ${cs.supplements ?? 'its base'}).`,
    );
    return;
  }
  if (typeof code === 'string' && ctx.terminology.lookup(system, code) === 'unknown') {
    report('code-invalid', `Unknown code '${code}' in the CodeSystem '${system}'.`, `${visit.path}.code`);
  }
}
