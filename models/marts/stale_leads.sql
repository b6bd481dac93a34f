-- Open leads gone quiet at the as-of date, with what a consultant needs to pick up the phone.
with

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

stale as (

    select
        lead_id,
        consultant,
        team,
        client,
        contact,
        phone,
        email,
        job_title,
        created_date,
        furthest_milestone,
        furthest_milestone_label,
        furthest_milestone_date,
        last_touch_date,
        last_call_date,
        days_quiet,
        quiet_threshold_days,
        is_quiet_too_long,
        is_scheduled_date_passed,
        unconfirmed_milestone,
        unconfirmed_date,
        stale_reason as reason,
        expected_fee
    from leads
    where is_stale

)

select * from stale
