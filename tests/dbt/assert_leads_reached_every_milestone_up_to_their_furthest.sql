-- A lead has reached every catalogue milestone up to its furthest (leads'
-- furthest_milestone_order) and no other, in lead_milestones. The dashboard's list of the
-- leads that reached a milestone (dashboards/queries.py, leads_matching) compares the two
-- orders instead of looking the milestone up. Returns the leads whose milestones differ.
with

leads as (

    select * from {{ ref('leads') }}

),

lead_milestones as (

    select * from {{ ref('lead_milestones') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

reached_per_lead as (

    select
        lead_id,
        count(*) as milestones_reached,
        max(milestone_order) as furthest_order
    from lead_milestones
    group by lead_id

),

milestones_up_to_each as (

    -- How many catalogue milestones a lead whose furthest is this one has reached.
    select
        milestone_order,
        count(*) over (
            order by milestone_order range between unbounded preceding and current row
        ) as milestones_up_to
    from milestone_catalogue

),

compared as (

    select
        coalesce(leads.lead_id, reached_per_lead.lead_id) as lead_id,
        leads.furthest_milestone_order,
        reached_per_lead.furthest_order as furthest_in_lead_milestones,
        coalesce(milestones_up_to_each.milestones_up_to, 0) as milestones_expected,
        coalesce(reached_per_lead.milestones_reached, 0) as milestones_reached
    from leads
    full outer join reached_per_lead
        on leads.lead_id = reached_per_lead.lead_id
    left join milestones_up_to_each
        on leads.furthest_milestone_order = milestones_up_to_each.milestone_order

)

select *
from compared
where
    milestones_reached != milestones_expected
    or coalesce(furthest_in_lead_milestones, 0) != coalesce(furthest_milestone_order, 0)
