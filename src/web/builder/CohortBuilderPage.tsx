import { useCohort } from '../api/cohorts';
import { NoPermission } from '../auth/NoPermission';
import { REASONS, useCan } from '../auth/permissions';
import { QueryState } from '../components/QueryState';
import { CohortBuilder } from './CohortBuilder';

export function CohortBuilderPage({ cohortId }: { cohortId?: string }) {
  if (!cohortId) return <CohortBuilder />;
  return <EditCohort id={cohortId} />;
}

function EditCohort({ id }: { id: string }) {
  const q = useCohort(id);
  const can = useCan();
  return (
    <QueryState query={q} what="cohort">
      {q.data && (can.canEditCohort(q.data)
        ? <CohortBuilder key={q.data.id} cohort={q.data} />
        : <NoPermission action="change this cohort" reason={REASONS.cohort} back={{ to: `/cohorts/${id}`, label: `Back to ${q.data.name}` }} />)}
    </QueryState>
  );
}
