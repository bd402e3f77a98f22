import type { Contact } from './types.js';
import { ApiError, notFound } from './wire.js';

// The simulator's own copy of Connect's documented rules for contact attributes: a checker must not share
// the checked code.

/**
 * The most UTF-8 bytes a contact's attributes may hold, keys and values together. This is the simulator's
 * reading of "You can have up to 32,768 UTF-8 bytes across all attributes for a contact": every key and
 * every value of the contact's attributes as they would be after the update (its existing ones merged with
 * the new ones) counts; past it the update is refused and nothing changes.
 */
export const MAX_ATTRIBUTE_BYTES = 32_768;

/** "Contact attributes keys can include only alphanumeric, dash, and underscore characters." */
const ATTRIBUTE_KEY = /^[A-Za-z0-9_-]+$/;

/** A 400 InvalidParameterException, the error UpdateContactAttributes answers a bad parameter with. */
export const invalidParameter = (message: string) => new ApiError(400, 'InvalidParameterException', message);

/** An `UpdateContactAttributes` input whose fields have the types and lengths of the API reference. */
export interface UpdateAttributesInput {
  readonly InstanceId: string;
  readonly InitialContactId: string;
  readonly Attributes: Readonly<Record<string, string>>;
}

const idField = (input: Record<string, unknown>, name: string, max: number): string => {
  const value = input[name];
  if (typeof value !== 'string' || value.length < 1 || value.length > max)
    throw invalidParameter(`${name} is required: a string of 1 to ${max} characters`);
  return value;
};

/**
 * The input's fields, checked as Connect checks them (400 InvalidParameterException otherwise): both ids,
 * and `Attributes`, a map of string to string whose keys are alphanumeric, dash or underscore.
 *
 * @example
 * readUpdateAttributesInput({ InstanceId: 'i', InitialContactId: 'c', Attributes: { 'bad key': 'x' } }); // throws 400
 */
export function readUpdateAttributesInput(input: Record<string, unknown>): UpdateAttributesInput {
  const InstanceId = idField(input, 'InstanceId', 100);
  const InitialContactId = idField(input, 'InitialContactId', 256);
  const attributes = input.Attributes;
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    throw invalidParameter('Attributes is required: a map of string to string');
  for (const [key, value] of Object.entries(attributes)) {
    if (!ATTRIBUTE_KEY.test(key))
      throw invalidParameter(
        `attribute key ${JSON.stringify(key)} may hold only alphanumeric, dash and underscore characters`,
      );
    if (typeof value !== 'string') throw invalidParameter(`attribute ${key} must be a string`);
  }
  return { InstanceId, InitialContactId, Attributes: attributes as Record<string, string> };
}

/** The UTF-8 bytes of a set of attributes, keys and values. */
export const attributeBytes = (attributes: Readonly<Record<string, string>>): number =>
  Object.entries(attributes).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8'),
    0,
  );

/**
 * A contact's attributes after an update: the new ones merged into the existing ones (a key given again is
 * overwritten, the others kept; an empty value stays an empty string, which is how Connect "removes" one).
 * Throws 404 for no contact, and 400 when the merged attributes pass {@link MAX_ATTRIBUTE_BYTES}.
 *
 * @example
 * mergedAttributes({ attributes: { a: '1', b: '2' } } as Contact, 'c', { b: '' }); // { a: '1', b: '' }
 */
export function mergedAttributes(
  contact: Contact | undefined,
  contactId: string,
  update: Readonly<Record<string, string>>,
): Record<string, string> {
  if (!contact) throw notFound(`contact ${contactId} not found`);
  const merged = { ...contact.attributes, ...update };
  const bytes = attributeBytes(merged);
  if (bytes > MAX_ATTRIBUTE_BYTES)
    throw invalidParameter(
      `a contact's attributes may hold up to ${MAX_ATTRIBUTE_BYTES} UTF-8 bytes; these would hold ${bytes}`,
    );
  return merged;
}
