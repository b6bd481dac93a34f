-- What the Lead page's search box looks through: one row per lead with its id, client and
-- contact lower-cased once per build (the search matches any case), and the columns the list
-- of matches shows. Ordered by client and contact, so that each column's repeated values sit
-- together and scan fast.
with

leads as (

    select * from {{ ref('leads') }}

),

searchable as (

    select
        lead_id,
        lower(lead_id) as lead_id_lower,
        lower(client) as client_lower,
        lower(contact) as contact_lower,
        client,
        contact,
        consultant,
        status,
        created_date,
        furthest_milestone_label
    from leads

),

ordered as (

    select * from searchable
    order by client_lower, contact_lower, lead_id

)

select * from ordered
