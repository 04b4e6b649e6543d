//! `marquee admin …`: staff accounts from the command line, for whoever runs the server
//! (the first admin, a forgotten password, someone who left).

use super::Role;
use super::accounts::create_user;

/// `marquee admin <command>`: `create-user --email <email> --role admin|box_office`,
/// `set-password --email <email>` (the password from `MARQUEE_PASSWORD`, or else the first
/// line of standard input, never an argument, which other users of the machine could see),
/// `disable-user --email <email>`, `enable-user --email <email>`.
pub async fn admin_command(command: &str, args: &[String]) -> Result<String, String> {
    let mut email = None;
    let mut role = Role::Admin;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--email" => email = rest.next().cloned(),
            "--role" if command == "create-user" => {
                let name = rest.next().map(String::as_str).unwrap_or_default();
                role = Role::parse(name)
                    .ok_or(format!("unknown role {name:?}: admin or box_office"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let email = email.ok_or("--email is required")?;
    let settings = crate::server::Settings::from_env().map_err(|e| e.to_string())?;
    let db = crate::server::db::pool(&settings).map_err(|e| format!("database: {e}"))?;
    crate::server::db::migrate(&db)
        .await
        .map_err(|e| format!("database: {e}"))?;
    let shown = email.trim().to_lowercase();
    match command {
        "create-user" => {
            let id = create_user(&db, &email, &read_password()?, role, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "staff account {id} made: {shown} ({})",
                role.as_str()
            ))
        }
        "set-password" => {
            let id = super::team::find(&db, &email)
                .await
                .map_err(|e| e.to_string())?;
            super::team::set_password(&db, id, &read_password()?, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!("new password set for {shown}; its sessions ended"))
        }
        "disable-user" | "enable-user" => {
            let id = super::team::find(&db, &email)
                .await
                .map_err(|e| e.to_string())?;
            let disable = command == "disable-user";
            super::team::set_disabled(&db, id, disable, None)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "{shown} {}",
                if disable {
                    "disabled; its sessions ended"
                } else {
                    "enabled"
                }
            ))
        }
        other => Err(format!("unknown command {other:?}")),
    }
}

fn read_password() -> Result<String, String> {
    match std::env::var("MARQUEE_PASSWORD") {
        Ok(password) if !password.is_empty() => Ok(password),
        _ => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| format!("reading the password: {e}"))?;
            Ok(line.trim_end_matches(['\r', '\n']).to_string())
        }
    }
}
