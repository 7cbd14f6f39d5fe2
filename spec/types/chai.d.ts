// chai 6 ships no type declarations and @types/chai is not installed; expect() is untyped here.
declare module 'chai' {
  export const expect: any;
}
