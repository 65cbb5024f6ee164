import { Text } from '@mantine/core';
import { num } from '../../../components/format';

/** A cohort's workflow at a glance in the cohort list: "New 12 → Contacted 3 → Won 1". */
export function StepCounts({ steps }: { steps?: { id: string; name: string; cardCount: number }[] }) {
  if (!steps?.length) return null;
  return (
    <Text size="xs" c="dimmed" data-testid="step-counts" lineClamp={1} title={steps.map((s) => `${s.name}: ${num(s.cardCount)}`).join(', ')}>
      {steps.map((s, i) => (
        <span key={s.id}>{i > 0 && ' → '}{s.name} <b>{num(s.cardCount)}</b></span>
      ))}
    </Text>
  );
}
