with

leads_enriched as (

    select * from {{ ref('int_leads_enriched') }}

),

calls_due as (

    select * from {{ ref('int_calls_due_unioned') }}

),

calls_due_ranked as (

    select
        lead_id,
        due_date,
        reason,
        row_number() over (
            partition by lead_id order by due_date, reason
        ) as due_rank
    from calls_due

),

next_call_due as (

    select
        lead_id,
        due_date as next_due_date,
        reason as next_due_reason
    from calls_due_ranked
    where due_rank = 1

),

next_call_joined as (

    select
        leads_enriched.*,
        next_call_due.next_due_date,
        next_call_due.next_due_reason
    from leads_enriched
    left join next_call_due
        on leads_enriched.lead_id = next_call_due.lead_id

)

select * from next_call_joined
