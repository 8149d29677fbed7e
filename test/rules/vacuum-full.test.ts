import { vacuumFull } from '../../server/src/analysis/rules/vacuum-full';
import { ruleTester } from '../rule-tester';

ruleTester(vacuumFull, {
  valid: ['VACUUM sessions;', 'VACUUM (ANALYZE, VERBOSE) app.sessions;', 'VACUUM (FULL false) t;', 'ANALYZE t;', "SELECT 'VACUUM FULL';"],
  invalid: [
    { code: 'VACUUM FULL sessions;', errors: [{ text: 'FULL', line: 1, column: 8, endColumn: 12 }], output: null },
    { code: 'VACUUM FULL ANALYZE llmspell.procedural_patterns;', errors: [{ text: 'FULL' }], output: null },
    { code: 'vacuum (analyze, full) t;', errors: [{ text: 'full' }], output: null },
    { code: 'VACUUM (FULL true) t;', errors: [{ text: 'FULL' }], output: null },
  ],
});
