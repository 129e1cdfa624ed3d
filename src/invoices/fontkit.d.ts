// fontkit ships no typings; the invoice PDF needs only this.
declare module 'fontkit' {
  export function create(buffer: Uint8Array, postscriptName?: string): unknown;
}
