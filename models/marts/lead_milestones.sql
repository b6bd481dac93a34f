with

lead_milestones as (

    select * from {{ ref('int_lead_milestones_reached') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

catalogue_joined as (

    select
        lead_milestones.lead_id,
        lead_milestones.milestone,
        lead_milestones.milestone_order,
        milestone_catalogue.label as milestone_label,
        milestone_catalogue.is_decision_point,
        milestone_catalogue.is_filled,
        lead_milestones.consultant,
        lead_milestones.created_date,
        lead_milestones.reached_date,
        {{ week_start('lead_milestones.reached_date') }} as reached_week,
        lead_milestones.reached_date_source,
        lead_milestones.is_implied,
        lead_milestones.first_candidate,
        lead_milestones.previous_milestone,
        lead_milestones.previous_reached_date,
        lead_milestones.days_since_previous,
        lead_milestones.is_duration_measured
    from lead_milestones
    inner join milestone_catalogue
        on lead_milestones.milestone = milestone_catalogue.milestone

)

select * from catalogue_joined
