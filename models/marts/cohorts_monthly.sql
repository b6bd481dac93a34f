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
        count(case when status = 'open' then 1 end) as leads_open,
        count(case when status = 'declined' then 1 end) as leads_declined,
        count(case when status = 'lost' then 1 end) as leads_lost,
        count(case when status = 'filled' then 1 end) as leads_filled,
        count(case when status = 'completed' then 1 end) as leads_completed,
        count(case when is_stale then 1 end) as leads_stale,
        -- £0 where no lead (or none with a fee) has the status, not unknown.
        coalesce(sum(expected_fee), 0) as expected_fee,
        coalesce(sum(case when status in ('filled', 'completed') then expected_fee end), 0)
            as fee_won,
        coalesce(sum(fee_lost), 0) as fee_lost
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
