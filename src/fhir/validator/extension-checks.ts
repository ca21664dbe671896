import { issue } from '../outcomes';
import type { CheckContext } from './context';
import { disallowedContext } from './extension-context';
import { checkExampleUrl } from './primitive-checks';
import type { Visit } from './walker';
import { isJsonObject } from '../json-object';

// The HL7 validator accepts unknown extensions only from these namespaces (nema.org for DICOM,
// tools extensions) and, when examples are allowed, from the RFC 2606 example domains.
const ALWAYS_ALLOWED = [/nema\.org/, /^http:\/\/hl7\.org\/fhir\/tools\/StructureDefinition\//];
const EXAMPLE_DOMAINS = /example\.org|example\.com|acme\.com/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Checks one Extension (https://hl7.org/fhir/R4/extensibility.html): its url is an absolute,
 * unversioned canonical; an unknown one is an error, since its meaning cannot be established. A
 * known one is used only where its definition's context allows (extension-context.ts), and is
 * checked against its StructureDefinition by the walk (walker.ts descends into it with that
 * definition).
 */
export function checkExtension(visit: Visit, ctx: CheckContext): void {
  if (visit.type !== 'Extension' || !isJsonObject(visit.value)) return;
  const url = visit.value.url;
  if (typeof url !== 'string') return; // missing url: Extension.url is 1..1, reported by medplum
  const urlPath = `${visit.path}.url`;
  if (ctx.options.forbidExampleUrls) checkExampleUrl(url, urlPath, ctx);
  if (!ABSOLUTE.test(url)) return; // a sub-extension of a complex extension is named relatively
  if (url.includes('|')) {
    ctx.issues.push(
      issue({
        code: 'invalid',
        text: `The extension URL must not contain a version ('${url}').`,
        expression: urlPath,
      }),
    );
  }
  const definition = ctx.profiles.definition(url);
  if (definition) {
    const allowed = disallowedContext(definition, visit);
    if (allowed) {
      ctx.issues.push(
        issue({
          code: 'business-rule',
          text: `The extension ${url} is not allowed here: its definition allows it only at ${allowed.join(', ')}.`,
          expression: visit.path,
        }),
      );
    }
    return;
  }
  if (isAllowedUnknown(url, isModifier(visit), ctx)) return;
  ctx.issues.push(
    issue({
      code: 'structure',
      text: `The extension ${url} could not be found, so it is not allowed here.`,
      expression: visit.path,
    }),
  );
}

function isModifier(visit: Visit): boolean {
  return visit.element.path.endsWith('.modifierExtension');
}

function isAllowedUnknown(url: string, modifier: boolean, ctx: CheckContext): boolean {
  if (ALWAYS_ALLOWED.some((re) => re.test(url))) return true;
  if (ctx.options.allowAnyExtensions && !modifier) return true;
  return !ctx.options.forbidExampleUrls && EXAMPLE_DOMAINS.test(url);
}
