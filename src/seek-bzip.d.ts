// The one function of seek-bzip (untyped CommonJS) that archive.ts uses.
declare module "seek-bzip" {
  export function decode(input: Uint8Array, output?: Uint8Array): Uint8Array;
}
