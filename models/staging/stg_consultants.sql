with

source as (

    select * from {{ source('raw', 'consultants') }}

),

latest_versions as (

    {{ latest_versions('source', 'trim(consultant)') }}

),

renamed as (

    select
        trim(consultant) as consultant,
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
