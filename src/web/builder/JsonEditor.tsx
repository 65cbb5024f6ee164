import { useState } from 'react';
import { Alert, Button, Group, JsonInput, List, Stack, Text } from '@mantine/core';
import type { Definition } from '../api/definition';
import { validateDefinition } from './validate';

/** The definition as JSON, for power users: edit, then apply to the builder. */
export function JsonEditor({ definition, onApply }: { definition: Definition; onApply: (d: Definition) => void }) {
  const pretty = JSON.stringify(definition, null, 2);
  const [text, setText] = useState(pretty);
  const [problems, setProblems] = useState<string[]>([]);
  const dirty = text !== pretty;

  function apply() {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setProblems([`Not valid JSON: ${(e as Error).message}`]);
      return;
    }
    const issues = validateDefinition(parsed as Definition);
    if (issues.length) {
      setProblems(issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
      return;
    }
    setProblems([]);
    onApply(parsed as Definition);
    setText(JSON.stringify(parsed, null, 2));
  }

  return (
    <Stack>
      <Text size="sm" c="dimmed">The definition in the cohort definition language. Apply to load it into the builder.</Text>
      <JsonInput
        label="Definition JSON"
        aria-label="Definition JSON"
        value={text}
        onChange={setText}
        autosize
        minRows={10}
        maxRows={30}
        validationError="Not valid JSON"
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 13 } }}
      />
      {problems.length > 0 && (
        <Alert color="red" title="The definition is not valid" role="alert">
          <List size="sm">{problems.map((p) => <List.Item key={p}>{p}</List.Item>)}</List>
        </Alert>
      )}
      <Group>
        <Button onClick={apply} disabled={!dirty}>Apply JSON</Button>
        <Button variant="default" onClick={() => { setText(pretty); setProblems([]); }} disabled={!dirty}>Revert</Button>
      </Group>
    </Stack>
  );
}
