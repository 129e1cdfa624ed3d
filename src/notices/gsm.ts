/**
 * SMS length rules (GSM 03.38): 160 characters of the GSM 7-bit alphabet in one part (153 a part
 * when split), or 70 UCS-2 characters (67 a part) once one character falls outside it. Polish
 * letters are outside, so a notice is transliterated when that keeps it to one part.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';
const basic = new Set(Array.from(GSM_BASIC));
const extended = new Set(Array.from(GSM_EXTENDED));

/** Septets the text takes in GSM 7-bit, or null when a character is outside the alphabet. */
export function gsmLength(text: string): number | null {
  let n = 0;
  for (const ch of text) {
    if (basic.has(ch)) n += 1;
    else if (extended.has(ch)) n += 2;
    else return null;
  }
  return n;
}

export interface SmsEncoding {
  encoding: 'gsm' | 'ucs2';
  parts: number;
}

export function smsParts(text: string): SmsEncoding {
  const gsm = gsmLength(text);
  if (gsm !== null) return { encoding: 'gsm', parts: gsm <= 160 ? 1 : Math.ceil(gsm / 153) };
  // UCS-2 counts UTF-16 code units.
  const units = text.length;
  return { encoding: 'ucs2', parts: units <= 70 ? 1 : Math.ceil(units / 67) };
}

const POLISH: Record<string, string> = {
  ą: 'a', ć: 'c', ę: 'e', ł: 'l', ń: 'n', ó: 'o', ś: 's', ź: 'z', ż: 'z',
  Ą: 'A', Ć: 'C', Ę: 'E', Ł: 'L', Ń: 'N', Ó: 'O', Ś: 'S', Ź: 'Z', Ż: 'Z',
  '„': '"', '”': '"', '–': '-', '—': '-', '…': '...', '\u00a0': ' ',
};

export function transliterate(text: string): string {
  return Array.from(text, (ch) => POLISH[ch] ?? ch).join('');
}

/** The text to send: as written, unless transliterating turns several parts into one. */
export function prepareSms(text: string): { text: string } & SmsEncoding {
  const asIs = smsParts(text);
  if (asIs.parts === 1) return { text, ...asIs };
  const plain = transliterate(text);
  const plainParts = smsParts(plain);
  if (plainParts.parts === 1) return { text: plain, ...plainParts };
  return { text, ...asIs };
}
