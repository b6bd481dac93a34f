-- Decision points as pass/fail gates: of the leads that reached the milestone before the
-- gate, how many passed it, how many were lost there and how many are still waiting.
-- One row per decision point and consultant, plus one per decision point for
-- 'All consultants'.
with

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

gates as (

    select
        milestone,
        milestone_order,
        label
    from milestone_catalogue
    where is_decision_point

),

leads_at_gates as (

    select
        gates.milestone,
        gates.milestone_order,
        gates.label,
        leads.consultant,
        leads.lead_id,
        leads.furthest_milestone_order >= gates.milestone_order as has_passed,
        leads.furthest_milestone_order = gates.milestone_order - 1
        and leads.status in ('lost', 'declined') as has_failed,
        leads.furthest_milestone_order = gates.milestone_order - 1
        and leads.status = 'open' as is_pending
    from gates
    inner join leads
        on leads.furthest_milestone_order >= gates.milestone_order - 1

),

per_consultant as (

    select
        milestone,
        milestone_order,
        label,
        consultant,
        count(*) as leads_at_gate,
        count(case when has_passed then 1 end) as leads_passed,
        count(case when has_failed then 1 end) as leads_failed,
        count(case when is_pending then 1 end) as leads_pending
    from leads_at_gates
    group by milestone, milestone_order, label, consultant

),

all_consultants as (

    select
        milestone,
        milestone_order,
        label,
        'All consultants' as consultant,
        count(*) as leads_at_gate,
        count(case when has_passed then 1 end) as leads_passed,
        count(case when has_failed then 1 end) as leads_failed,
        count(case when is_pending then 1 end) as leads_pending
    from leads_at_gates
    group by milestone, milestone_order, label

),

gates_unioned as (

    select * from per_consultant
    union all
    select * from all_consultants

),

pass_rates_computed as (

    select
        milestone,
        milestone_order,
        label as milestone_label,
        consultant,
        leads_at_gate,
        leads_passed,
        leads_failed,
        leads_pending,
        cast(
            case
                when leads_passed + leads_failed > 0
                    then 1.0 * leads_passed / (leads_passed + leads_failed)
            end
            as {{ dbt.type_numeric() }}
        ) as pass_rate
    from gates_unioned

)

select * from pass_rates_computed
