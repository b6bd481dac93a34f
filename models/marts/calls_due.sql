-- Who to call on which day and about what: due from the as-of date on, plus overdue calls
-- (is_overdue) still outstanding.
with

calls_due as (

    select * from {{ ref('int_calls_due_unioned') }}

),

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

lead_details_joined as (

    select
        calls_due.lead_id,
        leads.consultant,
        leads.team,
        calls_due.due_date,
        {{ week_start('calls_due.due_date') }} as due_week,
        calls_due.reason_code,
        calls_due.reason,
        calls_due.milestone,
        calls_due.candidate,
        calls_due.is_overdue,
        calls_due.days_overdue,
        leads.client,
        leads.contact,
        leads.phone,
        leads.email,
        leads.job_title,
        leads.status,
        leads.furthest_milestone,
        leads.last_touch_date,
        leads.expected_fee
    from calls_due
    inner join leads
        on calls_due.lead_id = leads.lead_id

)

select * from lead_details_joined
