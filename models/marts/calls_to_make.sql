-- The Calls due page's list: one row per call to make, a lead and a day, whatever number of
-- reasons it is due for that day (an agreed call-back and a declined revisit on one day are
-- one call, its row naming both). Merged once per build: merging the day's calls on every
-- page view took 100 ms for the agency's 33,000 calls due at 1,000,000 leads. A lead's
-- calls of one day are all overdue or none (overdue is due before the as-of date), so a
-- filter on the day or on is_overdue keeps or drops a whole call.
with

calls_due as (

    select * from {{ ref('calls_due') }}

),

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

reasons_merged as (

    select
        lead_id,
        due_date,
        string_agg(reason, '; ' order by reason_code, reason) as reason,
        string_agg(reason_code, ', ' order by reason_code, reason) as reason_code,
        string_agg(distinct candidate, ', ' order by candidate) as candidate,
        bool_or(is_overdue) as is_overdue,
        max(days_overdue) as days_overdue,
        count(*) as reasons
    from calls_due
    group by lead_id, due_date

),

lead_details_joined as (

    -- The lead's details as calls_due has them (from the same model).
    select
        reasons_merged.lead_id,
        reasons_merged.due_date,
        {{ week_start('reasons_merged.due_date') }} as due_week,
        leads.consultant,
        leads.team,
        leads.client,
        leads.contact,
        leads.phone,
        leads.email,
        leads.job_title,
        leads.status,
        reasons_merged.reason,
        reasons_merged.reason_code,
        reasons_merged.candidate,
        reasons_merged.is_overdue,
        reasons_merged.days_overdue,
        reasons_merged.reasons
    from reasons_merged
    inner join leads
        on reasons_merged.lead_id = leads.lead_id

)

select * from lead_details_joined
