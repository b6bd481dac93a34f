-- Keyed on the lead's creation date: each month's leads by their status at the as-of date.
with

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

cohorts as (

    select
        created_month,
        consultant,
        count(*) as leads_created,
        sum(case when status = 'open' then 1 else 0 end) as leads_open,
        sum(case when status = 'declined' then 1 else 0 end) as leads_declined,
        sum(case when status = 'lost' then 1 else 0 end) as leads_lost,
        sum(case when status = 'filled' then 1 else 0 end) as leads_filled,
        sum(case when status = 'completed' then 1 else 0 end) as leads_completed,
        sum(case when is_stale then 1 else 0 end) as leads_stale,
        sum(expected_fee) as expected_fee,
        sum(case when status in ('filled', 'completed') then expected_fee end) as fee_won,
        sum(fee_lost) as fee_lost
    from leads
    group by created_month, consultant

),

rates_computed as (

    select
        *,
        cast(
            1.0 * (leads_filled + leads_completed) / leads_created
            as {{ dbt.type_numeric() }}
        ) as fill_rate
    from cohorts

)

select * from rates_computed
