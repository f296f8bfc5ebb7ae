// Compiling the frame schemas into validators, at run time with Ajv. Its own module so the agent's
// bundle (test/tools/agent-bundle.ts) can swap it for validators Ajv generated at build time
// (standalone code): the agent then loads neither Ajv nor its code generator.
import { Ajv, type ValidateFunction } from 'ajv';

export type FrameValidator = ValidateFunction;

/** One validator per frame type, compiled from SCHEMAS (type → JSON Schema). */
export function compileFrameValidators(schemas: Record<string, object>): Map<string, FrameValidator> {
  const ajv = new Ajv({ allErrors: false, strict: true });
  return new Map(Object.entries(schemas).map(([type, schema]) => [type, ajv.compile(schema)]));
}
