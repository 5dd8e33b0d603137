# shellcheck shell=bash
# bench/lib/common.sh: helpers the mirror benchmarks share (sourced).
#
#   free_port             a free TCP port on 127.0.0.1
#   now                   wall-clock seconds, with nanoseconds
#   ratio X Y             X / Y to three decimals
#   wait_http URL [PID]   poll until URL answers 2xx (10 s), or PID exits
#   start_nginx DIR PORT WORKERS BODY
#                         an nginx of our own (prefix DIR, config DIR/nginx.conf)
#                         on 127.0.0.1:PORT, no access log, sendfile,
#                         keepalive; BODY is the nginx "server" block's
#                         content. Sets NGINX_PID (the master).
#   stop_nginx            stop it (SIGQUIT to the master, then wait)

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { date +%s.%N; }

ratio() { echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./; s/^-\./-0./'; }

wait_http() {
	local url=$1 pid=${2:-}
	for _ in $(seq 200); do
		curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "bench: the process serving $url exited" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "bench: $url did not answer within 10 s" >&2
	return 1
}

NGINX_PID=
start_nginx() {
	local dir=$1 port=$2 workers=$3 body=$4 user_line=
	# As root the master would switch its workers to "nobody", who cannot
	# read our mktemp directories: keep the current user.
	[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"
	mkdir -p "$dir/logs" "$dir/tmp"
	cat >"$dir/nginx.conf" <<CONF
$user_line
worker_processes $workers;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	tcp_nodelay on;
	keepalive_timeout 65;
	keepalive_requests 1000000;
	server_tokens off;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	types { application/xml xml; application/metalink+xml metalink; }
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$port;
		$body
	}
}
CONF
	nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/logs/error.log" >"$dir/logs/stdout.log" 2>&1 &
	NGINX_PID=$!
}

stop_nginx() {
	if [ -n "$NGINX_PID" ]; then
		kill -QUIT "$NGINX_PID" 2>/dev/null || true
		wait "$NGINX_PID" 2>/dev/null || true
		NGINX_PID=
	fi
}
