import { InvalidArgument } from "../errors.js";

/** Splits a command string into words as a POSIX shell would, without expansions (Compose's `command: "a 'b c'"`). */
export function splitShellWords(text: string, where: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) throw new InvalidArgument(`${where}: unclosed ' quote in "${text}"`);
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1] ?? "")) j++;
        word += text[j];
      }
      if (j >= text.length) throw new InvalidArgument(`${where}: unclosed " quote in "${text}"`);
      inWord = true;
      i = j;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i] ?? "";
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
