// The part of better-sqlite3's API that db-read.ts uses (the package ships no types, and
// @types/better-sqlite3 is not among this project's dependencies).
declare module "better-sqlite3" {
  namespace Database {
    interface Options {
      readonly?: boolean;
      fileMustExist?: boolean;
      /** Busy timeout in ms. */
      timeout?: number;
    }
    interface Statement {
      all(...params: unknown[]): unknown[];
    }
    interface Database {
      prepare(sql: string): Statement;
      pragma(source: string): unknown;
      close(): void;
    }
  }
  const Database: new (filename: string, options?: Database.Options) => Database.Database;
  export default Database;
}
