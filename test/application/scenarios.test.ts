/** Every scenario of test/application/scenarios/*.md, one test each. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseScenarios } from './markdown.ts';
import { ScenarioRun } from './scenario-runner.ts';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();

for (const file of files) {
  describe(file, () => {
    for (const scenario of parseScenarios(file, readFileSync(join(dir, file), 'utf8'))) {
      it(scenario.name, () => {
        const problems = new ScenarioRun(scenario).run();
        assert.deepEqual(problems, [], `${file}:${scenario.line} ${scenario.name}\n  ${problems.join('\n  ')}`);
      });
    }
  });
}

it('there are at least 40 scenarios', () => {
  let count = 0;
  for (const file of files) count += parseScenarios(file, readFileSync(join(dir, file), 'utf8')).length;
  assert.ok(count >= 40, `only ${count} scenarios`);
});
