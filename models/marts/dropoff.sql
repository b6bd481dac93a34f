-- Where leads die: lost and declined leads by the furthest milestone they reached, the
-- reason given and the fee that went with them. Later failures cost more.
with

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

catalogue_ranked as (

    select
        label,
        row_number() over (order by milestone_order) as catalogue_rank
    from milestone_catalogue

),

first_milestone as (

    select label from catalogue_ranked
    where catalogue_rank = 1

),

dropped_leads as (

    select
        leads.consultant,
        leads.status,
        leads.furthest_milestone as dropped_at_milestone,
        coalesce(leads.furthest_milestone_order, 0) as dropped_at_milestone_order,
        coalesce(
            leads.furthest_milestone_label, 'Before ' || first_milestone.label
        ) as dropped_at_label,
        coalesce(leads.lost_reason, 'No reason given') as lost_reason,
        leads.expected_fee
    from leads
    cross join first_milestone
    where leads.status in ('lost', 'declined')

),

aggregated as (

    select
        consultant,
        status,
        dropped_at_milestone,
        dropped_at_milestone_order,
        dropped_at_label,
        lost_reason,
        count(*) as leads,
        sum(expected_fee) as fee_lost
    from dropped_leads
    group by
        consultant,
        status,
        dropped_at_milestone,
        dropped_at_milestone_order,
        dropped_at_label,
        lost_reason

)

select * from aggregated
