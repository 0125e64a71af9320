import t from 'tap';
import { isFalseWord, isTrueWord } from '../../lib/config/words.ts';

t.test('ast_true / ast_false words', async (t) => {
  for (const w of ['yes', 'YES', 'true', 'y', 't', '1', 'on', ' On ']) t.ok(isTrueWord(w), w);
  for (const w of ['no', 'false', 'n', 'f', '0', 'off', 'OFF']) t.ok(isFalseWord(w), w);
  t.notOk(isTrueWord('yess'));
  t.notOk(isFalseWord(''));
});
