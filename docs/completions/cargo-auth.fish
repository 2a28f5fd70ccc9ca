# cargo-auth fish shell completion

function __fish_cargo-auth_no_subcommand --description 'Test if there has been any subcommand yet'
    for i in (commandline -opc)
        if contains -- $i login logout token status verify rewrite-config import backends completion
            return 1
        end
    end
    return 0
end

complete -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -f -l help -s h -d 'show help'
complete -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -f -l version -s v -d 'print the version'
complete -c cargo-auth -n '__fish_seen_subcommand_from login' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'login' -d 'store a registry token in the keyring and make cargo use it'
complete -c cargo-auth -n '__fish_seen_subcommand_from logout' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'logout' -d 'remove a registry token from the keyring'
complete -c cargo-auth -n '__fish_seen_subcommand_from token' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'token' -d 'print the token cargo-auth has for a registry'
complete -c cargo-auth -n '__fish_seen_subcommand_from status' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'status' -d 'show, for every registry, which token cargo will use and whether it works'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'verify' -d 'prove that a registry requires authentication on every endpoint'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l token-stdin -d 'read the token from the first line of stdin (typed without echo on a terminal)'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l token-file -r -d 'read the token from the first line of `FILE`'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l scheme -r -d 'send a stdin token as `raw|bearer|basic` (basic takes USER:SECRET; a full header value like "Bearer ..." is sent as is)'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l crate -r -d 'a crate known to exist (repeatable): `NAME[@VERSION]`'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l crates-from -r -d 'take the crates of this registry from a Cargo.lock `FILE`'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l jobs -r -d 'at most `N` requests in flight at once'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l timeout -r -d 'time limit for each request, body included (a `DURATION` such as 10s)'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l rps -r -d 'start at most `N` requests per second (0: no limit)'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l format -r -d 'print the report as `text|json|sarif|junit`'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l json -d 'same as --format json'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l trust-origin -r -d 'treat `ORIGIN` (https://host[:port]) like the index\'s own: verify sends it the token and does not flag dl, api or redirects there (repeatable)'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l config -r -d 'add a configuration layer like cargo\'s --config `KEY=VALUE|FILE` (repeatable)'
complete -c cargo-auth -n '__fish_seen_subcommand_from verify' -f -l backend -r -d 'keyring `BACKEND` to use (see cargo auth backends); default: the best that works here'
complete -c cargo-auth -n '__fish_seen_subcommand_from rewrite-config' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'rewrite-config' -d 'put token-bearing index URLs where cargo needs them, without leaking them'
complete -c cargo-auth -n '__fish_seen_subcommand_from import' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'import' -d 'move plaintext tokens from cargo\'s files into the keyring'
complete -c cargo-auth -n '__fish_seen_subcommand_from backends' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'backends' -d 'list keyring backends and whether each works on this machine'
complete -c cargo-auth -n '__fish_seen_subcommand_from completion' -f -l help -s h -d 'show help'
complete -r -c cargo-auth -n '__fish_cargo-auth_no_subcommand' -a 'completion' -d 'print a shell completion script (bash, zsh or fish)'
