/**
 * User metadata beyond US-ASCII, as S3 handles it: HTTP headers cannot carry UTF-8 as such, so clients send
 * RFC 2047 encoded-words (`=?UTF-8?B?…?=` / `=?UTF-8?Q?…?=`), which S3 decodes and stores; raw UTF-8 bytes are
 * taken as UTF-8. On the way back a value that is not US-ASCII is sent as `=?UTF-8?B?…?=`.
 */
export function decodeMetadataValue(raw: string): string {
  const word = /^=\?utf-8\?([bq])\?(.*)\?=$/i.exec(raw.trim());
  if (word) {
    const [, encoding, text] = word;
    if (encoding.toLowerCase() === 'b') return Buffer.from(text, 'base64').toString('utf8');
    return Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
  }
  // Node hands header bytes over as latin1: bytes that form valid UTF-8 were meant as UTF-8.
  if (/[\x80-\xff]/.test(raw)) {
    const utf8 = Buffer.from(raw, 'latin1').toString('utf8');
    if (!utf8.includes('\uFFFD')) return utf8;
  }
  return raw;
}

export function encodeMetadataValue(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
