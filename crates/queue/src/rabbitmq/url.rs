//! Showing broker URLs without their secrets.

/// `amqp://user:secret@host/vhost` becomes `amqp://user@host/vhost`.
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo
                .split_once(':')
                .map_or(userinfo, |(user, _password)| user);
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn passwords_are_left_out_of_displayed_urls() {
        assert_eq!(
            without_password("amqp://crawler:s3cret@mq.internal:5672/%2f"),
            "amqp://crawler@mq.internal:5672/%2f"
        );
        assert_eq!(
            without_password("amqp://127.0.0.1:5672/%2f"),
            "amqp://127.0.0.1:5672/%2f"
        );
        assert_eq!(without_password("amqp://guest@host"), "amqp://guest@host");
    }
}
