import { useCohort } from '../api/cohorts';
import { QueryState } from '../components/QueryState';
import { CohortBuilder } from './CohortBuilder';

export function CohortBuilderPage({ cohortId }: { cohortId?: string }) {
  if (!cohortId) return <CohortBuilder />;
  return <EditCohort id={cohortId} />;
}

function EditCohort({ id }: { id: string }) {
  const q = useCohort(id);
  return (
    <QueryState query={q} what="cohort">
      {q.data && <CohortBuilder key={q.data.id} cohort={q.data} />}
    </QueryState>
  );
}
