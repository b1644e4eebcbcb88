/**
 * Rewrites compiled files so that their text is ASCII only (esbuild's `charset: 'ascii'`: every
 * other character in a string, template or regular expression becomes its `\uXXXX` escape, same
 * value). Why: V8 keeps each module's source text in the heap for as long as the process runs
 * (lazy compilation reads it again), and a source with a single non-ASCII character (a `→` in a
 * message) is stored at two bytes per character. With tsc's `removeComments` this took the
 * compiled sources from ~1.7 MB of heap, if all were loaded, to 0.83 MB (docs/benchmarks.md).
 * esbuild leaves regular expression literals as they are: a non-ASCII character in one (or a
 * file esbuild cannot parse) fails the build, naming the file and line; write it as `\uXXXX` in
 * the source.
 */
import { readFile, writeFile } from 'node:fs/promises';

const NON_ASCII = /[\u0080-\uffff]/;

export async function asciiOnly(files: readonly string[]): Promise<{ rewritten: number }> {
  const { transform } = await import('esbuild');
  let rewritten = 0;
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    if (!NON_ASCII.test(text)) continue;
    const r = await transform(text, {
      loader: 'js',
      charset: 'ascii',
      legalComments: 'none',
      sourcefile: file,
    });
    const at = NON_ASCII.exec(r.code);
    if (at !== null) {
      const line = r.code.slice(0, at.index).split('\n').length;
      throw new Error(
        `${file}:${line}: '${at[0]}' is left non-ASCII (a regular expression literal?): ` +
          `write it as \\u${at[0].charCodeAt(0).toString(16).padStart(4, '0')} in the source`,
      );
    }
    await writeFile(file, r.code);
    rewritten++;
  }
  return { rewritten };
}
