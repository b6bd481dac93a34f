-- Keyed on the milestone's reached date: milestones reached during each week.
with

lead_milestones as (

    select * from {{ ref('int_lead_milestones_reached') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

milestones_weekly as (

    select
        {{ week_start('reached_date') }} as week,
        consultant,
        milestone,
        count(*) as milestones_reached,
        count(case when is_implied then 1 end) as milestones_implied
    from lead_milestones
    group by {{ week_start('reached_date') }}, consultant, milestone

),

catalogue_joined as (

    select
        milestones_weekly.week,
        milestones_weekly.consultant,
        milestones_weekly.milestone,
        milestone_catalogue.milestone_order,
        milestone_catalogue.label as milestone_label,
        milestones_weekly.milestones_reached,
        milestones_weekly.milestones_implied
    from milestones_weekly
    inner join milestone_catalogue
        on milestones_weekly.milestone = milestone_catalogue.milestone

)

select * from catalogue_joined
