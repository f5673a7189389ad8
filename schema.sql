-- The schema the example project's migrations build (migrations/001-008).

CREATE TYPE user_role AS ENUM ('administrator', 'regular_user', 'moderator');

CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(320) NOT NULL UNIQUE,
    name varchar(255),
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    avatar_url varchar(500),
    last_login_at timestamp,
    role user_role NOT NULL DEFAULT 'regular_user'
);
CREATE INDEX idx_users_last_login ON users (last_login_at DESC) WHERE last_login_at IS NOT NULL;

CREATE TABLE chapters (
    id serial PRIMARY KEY,
    slug varchar(255) NOT NULL UNIQUE,
    title varchar(255) NOT NULL,
    position integer NOT NULL DEFAULT 0,
    content text,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE chatbot_messages (
    id bigserial PRIMARY KEY,
    conversation_id uuid NOT NULL,
    user_id integer REFERENCES users (id) ON DELETE SET NULL,
    chapter_id integer REFERENCES chapters (id) ON DELETE SET NULL,
    sender varchar(20) NOT NULL CHECK (sender IN ('user', 'assistant', 'system')),
    content text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_chatbot_messages_conversation ON chatbot_messages (conversation_id);
CREATE INDEX idx_chatbot_messages_created ON chatbot_messages (created_at DESC);

CREATE TABLE sessions (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token varchar(255) NOT NULL UNIQUE,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at timestamp NOT NULL
);
CREATE INDEX idx_active_sessions ON sessions (user_id, expires_at);

CREATE TABLE personalized_content (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chapter_id integer NOT NULL REFERENCES chapters (id) ON DELETE CASCADE,
    content text NOT NULL,
    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at timestamp
);
CREATE INDEX idx_personalized_user_chapter ON personalized_content (user_id, chapter_id);
CREATE INDEX idx_personalized_expires ON personalized_content (expires_at);

CREATE TABLE user_profiles (
    id serial PRIMARY KEY,
    user_id integer UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    software_background text,
    hardware_background text,
    experience_level varchar(50) DEFAULT 'beginner'
        CHECK (experience_level IN ('beginner', 'intermediate', 'advanced')),
    preferred_topics text[],
    created_at timestamp DEFAULT CURRENT_TIMESTAMP,
    updated_at timestamp DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_user_profiles_user_id ON user_profiles (user_id);
CREATE INDEX idx_user_profiles_experience_level ON user_profiles (experience_level);
GRANT SELECT, INSERT, UPDATE ON user_profiles TO authenticated_user;

CREATE TABLE reading_progress (
    id serial PRIMARY KEY,
    user_id integer REFERENCES users (id) ON DELETE CASCADE,
    chapter_id integer REFERENCES chapters (id) ON DELETE CASCADE,
    progress_percentage integer DEFAULT 0 CHECK (progress_percentage BETWEEN 0 AND 100),
    last_position jsonb,
    completed_at timestamp,
    updated_at timestamp DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, chapter_id)
);
CREATE INDEX idx_reading_progress_user ON reading_progress (user_id);
CREATE INDEX idx_reading_progress_chapter ON reading_progress (chapter_id);
CREATE INDEX idx_reading_progress_completed ON reading_progress (completed_at) WHERE completed_at IS NOT NULL;
