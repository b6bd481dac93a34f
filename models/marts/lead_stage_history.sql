-- The furthest milestone each lead had reached on every day, as runs of days: one row per
-- lead and furthest milestone, from the day it was reached to the day a further one was
-- (exclusive). The first run of every lead is order 0 (no milestone yet) and starts with no
-- date. So the pipeline as it stood on a day is one row per lead, the row whose run covers
-- that day, and the History page filters and counts instead of taking a max per lead.
-- A lost or declined lead carries its closed date (marts.leads): on that day and after it
-- had died, at the stage of the run that covers the day. Ordered by milestone and creation
-- date, so listing the newest leads at one stage reads only that stage's rows.
with

leads as (

    select * from {{ ref('leads') }}

),

lead_milestones as (

    select * from {{ ref('lead_milestones') }}

),

furthest_per_reached_day as (

    select
        lead_id,
        reached_date,
        max(milestone_order) as milestone_order
    from lead_milestones
    group by lead_id, reached_date

),

furthest_before_each_day as (

    select
        lead_id,
        reached_date,
        milestone_order,
        max(milestone_order) over (
            partition by lead_id
            order by reached_date
            rows between unbounded preceding and 1 preceding
        ) as furthest_order_before
    from furthest_per_reached_day

),

advances as (

    select
        lead_id,
        milestone_order,
        reached_date as stage_from_date
    from furthest_before_each_day
    where furthest_order_before is null or milestone_order > furthest_order_before

),

runs_started as (

    select
        lead_id,
        0 as milestone_order,
        cast(null as date) as stage_from_date
    from leads
    union all
    select
        lead_id,
        milestone_order,
        stage_from_date
    from advances

),

runs_ended as (

    select
        lead_id,
        milestone_order,
        stage_from_date,
        lead(stage_from_date) over (
            partition by lead_id
            order by stage_from_date asc nulls first
        ) as stage_to_date
    from runs_started

),

leads_joined as (

    select
        runs_ended.lead_id,
        leads.team,
        leads.consultant,
        leads.created_date,
        leads.status,
        leads.closed_date,
        leads.closed_date_source,
        runs_ended.milestone_order,
        runs_ended.stage_from_date,
        runs_ended.stage_to_date
    from runs_ended
    inner join leads
        on runs_ended.lead_id = leads.lead_id

),

ordered as (

    select * from leads_joined
    order by milestone_order asc, created_date desc, lead_id asc

)

select * from ordered
