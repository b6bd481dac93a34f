with

source as (

    select * from {{ source('raw', 'consultants') }}

),

latest_versions as (

    -- One row per consultant however the list spells them (the latest spelling).
    {{ latest_versions('source', consultant_key('consultant')) }}

),

renamed as (

    select
        {{ consultant_spelling('consultant') }} as consultant,
        {{ consultant_key('consultant') }} as consultant_key,
        nullif(trim(team), '') as team,
        nullif(trim(manager), '') as manager,
        nullif(trim(email), '') as email,
        _load_id as load_id,
        _source_file as source_file,
        _source_row as source_row,
        cast(_loaded_at as date) as loaded_date
    from latest_versions

)

select * from renamed
