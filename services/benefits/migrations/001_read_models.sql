-- The benefits service's read models. All but benefit_veterans are projections of its own store,
-- rebuildable (vetlife-projections rebuild benefits); benefit_veterans holds the registry facts
-- benefits keeps (no name, no ID number), written by its subscriber with each event's inbox row.
CREATE TABLE IF NOT EXISTS benefit_veterans (
    veteran_id          TEXT PRIMARY KEY,
    station             TEXT NOT NULL,
    township            TEXT NOT NULL,
    discharged          BOOLEAN NOT NULL DEFAULT false,
    ties                TEXT[] NOT NULL DEFAULT '{}',
    registry_position   BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS benefit_veterans_station ON benefit_veterans (station);

CREATE TABLE IF NOT EXISTS relief_list (
    application_id      TEXT PRIMARY KEY,
    veteran_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    state               TEXT NOT NULL,
    trigger             TEXT NOT NULL,
    amount_asked_fen    BIGINT NOT NULL,
    approved_fen        BIGINT,
    paid_fen            BIGINT,
    applied_on          DATE NOT NULL,
    decided_on          DATE,
    paid_on             DATE,
    position            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS relief_list_station ON relief_list (station, position);
CREATE INDEX IF NOT EXISTS relief_list_veteran ON relief_list (veteran_id);
CREATE INDEX IF NOT EXISTS relief_list_paid ON relief_list (paid_on);

CREATE TABLE IF NOT EXISTS entitlement_list (
    entitlement_id      TEXT PRIMARY KEY,
    veteran_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    township            TEXT NOT NULL,
    kind                TEXT NOT NULL,
    periodic            BOOLEAN NOT NULL,
    state               TEXT NOT NULL,
    amount_fen          BIGINT,
    applied_on          DATE NOT NULL,
    approved_on         DATE,
    confirmation_due_on DATE,
    confirmation_overdue BOOLEAN NOT NULL DEFAULT false,
    position            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS entitlement_list_station ON entitlement_list (station, position);
CREATE INDEX IF NOT EXISTS entitlement_list_veteran ON entitlement_list (veteran_id);
CREATE INDEX IF NOT EXISTS entitlement_list_priority ON entitlement_list (station)
    WHERE periodic AND state = 'active';

CREATE TABLE IF NOT EXISTS card_list (
    card_id             TEXT PRIMARY KEY,
    veteran_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    category            TEXT NOT NULL,
    state               TEXT NOT NULL,
    applied_on          DATE NOT NULL,
    filing_due_on       DATE,
    handout_due_on      DATE,
    filing_overdue      BOOLEAN NOT NULL DEFAULT false,
    handout_overdue     BOOLEAN NOT NULL DEFAULT false,
    handed_out_on       DATE,
    position            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS card_list_station ON card_list (station, position);

CREATE TABLE IF NOT EXISTS offer_list (
    offer_id            TEXT PRIMARY KEY,
    veteran_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    kind                TEXT NOT NULL,
    rule                TEXT NOT NULL,
    article             TEXT NOT NULL,
    state               TEXT NOT NULL,
    opened_on           DATE NOT NULL,
    answer_due_on       DATE NOT NULL,
    unanswered          BOOLEAN NOT NULL DEFAULT false,
    position            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS offer_list_station ON offer_list (station, position);
CREATE INDEX IF NOT EXISTS offer_list_veteran ON offer_list (veteran_id);

CREATE TABLE IF NOT EXISTS campaign_list (
    campaign_id         TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    kind                TEXT NOT NULL,
    state               TEXT NOT NULL,
    starts_on           DATE NOT NULL,
    ends_on             DATE NOT NULL,
    budget_fen          BIGINT NOT NULL,
    position            BIGINT NOT NULL
);

-- One row per visit: a campaign's totals are sums over its rows, so visits recorded at the same
-- moment never write to one shared row.
CREATE TABLE IF NOT EXISTS visit_list (
    visit_id            TEXT PRIMARY KEY,
    campaign_id         TEXT NOT NULL,
    veteran_id          TEXT NOT NULL,
    station             TEXT NOT NULL,
    visited_on          DATE NOT NULL,
    amount_fen          BIGINT NOT NULL,
    goods_value_fen     BIGINT NOT NULL,
    withdrawn           BOOLEAN NOT NULL DEFAULT false,
    position            BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS visit_list_campaign ON visit_list (campaign_id, station);
CREATE INDEX IF NOT EXISTS visit_list_visited ON visit_list (visited_on);
CREATE INDEX IF NOT EXISTS visit_list_veteran ON visit_list (veteran_id);
