import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AwsError } from '../aws-error';

/** A value the XML protocols render: scalars become text, objects nested elements, arrays repeated elements. */
export type XmlValue = string | number | boolean | Date | null | undefined | XmlElement | XmlValue[];
export interface XmlElement {
  [name: string]: XmlValue;
}

/**
 * Escapes text for XML. Control characters (possible in S3 keys) become numeric references, as S3 writes them,
 * so a key with `\r` or `\u0001` still yields a document the SDKs parse.
 */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"'\u0000-\u0008\u000b-\u001f]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function scalar(value: string | number | boolean | Date): string {
  return escapeXml(value instanceof Date ? value.toISOString() : String(value));
}

/** Renders `<name>value</name>`; undefined and null render nothing, arrays repeat the element. */
export function xmlElement(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => xmlElement(name, item)).join('');
  if (typeof value === 'object' && !(value instanceof Date)) {
    const children = Object.entries(value)
      .map(([child, v]) => xmlElement(child, v))
      .join('');
    return `<${name}>${children}</${name}>`;
  }
  return `<${name}>${scalar(value)}</${name}>`;
}

/** A whole document: declaration, root element with its namespace, body. */
export function xmlDocument(root: string, body: XmlElement | string, xmlns?: string): string {
  const inner = typeof body === 'string' ? escapeXml(body) : Object.entries(body).map(([k, v]) => xmlElement(k, v)).join('');
  const ns = xmlns ? ` xmlns="${xmlns}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${inner}</${root}>`;
}

/**
 * Parses a request's XML body (S3's CreateBucketConfiguration, Delete, CompleteMultipartUpload). Text is kept
 * verbatim (keys like `007` stay strings, spaces are significant); elements named in `lists` are always arrays.
 * Anything not well-formed is S3's MalformedXML.
 */
export function parseXml(text: string, lists: readonly string[] = []): Record<string, unknown> {
  const malformed = () =>
    new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', 400);
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw malformed();
  try {
    const parser = new XMLParser({
      ignoreAttributes: true,
      removeNSPrefix: true,
      parseTagValue: false,
      trimValues: false,
      htmlEntities: true,
      isArray: (name) => lists.includes(name),
    });
    const parsed: unknown = parser.parse(text);
    if (typeof parsed !== 'object' || parsed === null) throw malformed();
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof AwsError) throw error;
    throw malformed();
  }
}
