/** The absolute path of the squeeze.so shipped in this package. */
export declare function getLoadablePath(): string;

/** Loads squeeze into db: a better-sqlite3 Database, or anything with loadExtension(path). */
export declare function load(db: { loadExtension(file: string): unknown }): void;
