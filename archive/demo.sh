#!/bin/sh
# make demo: the Kyustendil network on one machine.
#
# Ten nodes (the Civic Center and one NGO in each of the nine municipalities)
# are set up with their own keys, the Civic Center creates the network and
# admits the others, every node records its own part of archive/ (minutes,
# recommendations and what became of them, the SWOT analysis, photos), and
# the records travel with `civic sync`: through the Civic Center's relay (a
# plain bare git repository behind a real git daemon, no civic on it), from
# the Civic Center's own `civic serve`, and directly between neighbours,
# while two villages are offline for the first round. Nothing is trusted on
# the way: every node verifies what it takes, and at the end every node,
# stock git and ssh-keygen verify the whole archive.
#
# Photos travel the same way, after the records: each node pushes the bytes
# of its attachments to the relay, and the others fetch and check them
# against the signed records. When a photo is withdrawn, a signed retraction
# takes its bytes off every node and the relay; the record stays. When two
# admins' rosters part, one signed settlement joins them on every node; a
# roster signed by a stolen, revoked admin key is abandoned by the Civic
# Center, and no node admits what it admits.
#
#   sh archive/demo.sh build/civic [DIR]     (DIR defaults to build/demo)
set -eu
CIVIC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOP=$(cd "$(dirname "$0")/.." && pwd)
ARCHIVE=$TOP/archive
DEMO=${2:-$TOP/build/demo}
rm -rf "$DEMO"
mkdir -p "$DEMO/keys"
cd "$DEMO"
export LC_ALL=C.UTF-8
# Messages in Bulgarian with LANGUAGE=bg, from the catalogs next to the build.
export CIVIC_LOCALEDIR="$(dirname "$CIVIC")/locale"

say() { printf '\n== %s\n' "$*"; }
civic() { node=$1; shift; CIVIC_PASSPHRASE_FILE="$DEMO/keys/$node.pass" "$CIVIC" --home "$DEMO/$node" "$@"; }
git_of() { node=$1; shift; git --git-dir "$DEMO/$node/archive.git" "$@"; }
nodes() { jq -r '.[].slug' "$ARCHIVE/nodes.json"; }
field() { jq -r --arg s "$1" '.[] | select(.slug == $s) | .'"$2" "$ARCHIVE/nodes.json"; }

say "Ten nodes, each with its own ed25519 key, encrypted at rest"
for n in $(nodes); do
	# Demo passphrases live next to the nodes; a real node is asked on its terminal.
	head -c 18 /dev/urandom | base64 > "keys/$n.pass"
	chmod 600 "keys/$n.pass"
	"$CIVIC" --home "$DEMO/$n" init --name "$(field "$n" name)" --municipality "$(field "$n" municipality)" \
		--role "$(field "$n" role)" --passphrase-file "keys/$n.pass" | sed -n 's/^fingerprint: /  /p' |
		sed "s|^|$n|"
done

say "The Civic Center creates the network; its id is handed out on paper"
NET=$(civic civic-center network create --name "НПО Мрежа – област Кюстендил")
echo "$NET" > keys/network-id
echo "  network id: $NET"

say "The Civic Center admits the nine NGOs; each pins the network id"
for n in $(nodes); do
	[ "$n" = civic-center ] && continue
	civic civic-center member add --name "$(field "$n" name)" --municipality "$(field "$n" municipality)" \
		--role "$(field "$n" role)" --key "$(civic "$n" id | head -n 1)" | sed 's/^/  /'
	civic "$n" network join "$NET" >/dev/null
done
civic civic-center network show | sed 's/^/  /'

# Replaces each @REC:<path>@ by the id the record at <path> got.
resolve() {
	cp "$1" "$DEMO/record.json"
	for ref in $(grep -o '@REC:[^@]*@' "$1" | sort -u); do
		path=${ref#@REC:}
		path=${path%@}
		id=$(sed -n "s|^$path ||p" "$DEMO/ids")
		[ -n "$id" ] || { echo "demo: $1 refers to $path, not added yet" >&2; exit 1; }
		sed -i "s|$ref|$id|g" "$DEMO/record.json"
	done
}

say "Every node records its own part of the archive"
: > ids
for n in $(nodes); do
	count=0
	for json in "$ARCHIVE/$n"/[0-9]*.json; do
		base=${json%.json}
		set -- add "$(jq -r .kind "$json")" --json "$DEMO/record.json"
		[ -f "$base.md" ] && set -- "$@" --body "$base.md"
		if [ -f "$base.attach" ]; then
			while IFS= read -r photo; do
				[ -n "$photo" ] && set -- "$@" --attach "$ARCHIVE/photos/$photo"
			done < "$base.attach"
		fi
		resolve "$json"
		id=$(civic "$n" "$@")
		echo "${json#"$ARCHIVE"/} $id" >> ids
		count=$((count + 1))
	done
	echo "  $n: $count records"
done

say "The Civic Center serves its archive and runs a relay on this machine (127.0.0.1)"
PORT_SERVE=$((30000 + $$ % 20000))
PORT_RELAY=$((PORT_SERVE + 1))
git init -q --bare relay.git
"$(git --exec-path)/git-daemon" --reuseaddr --export-all --enable=receive-pack --base-path="$DEMO" \
	--listen=127.0.0.1 --port="$PORT_RELAY" "$DEMO/relay.git" >/dev/null 2>&1 &
RELAY_PID=$!
"$CIVIC" --home "$DEMO/civic-center" serve --listen "127.0.0.1:$PORT_SERVE" >/dev/null 2>&1 &
SERVE_PID=$!
# Трекляно's mobile link: the same relay, through a proxy that cuts every
# connection after 32 KB (tests/cli/cutproxy.py, as the tests use it).
PORT_MOBILE=$((PORT_SERVE + 2))
python3 "$TOP/tests/cli/cutproxy.py" "$PORT_MOBILE" "$PORT_RELAY" 32768 "$DEMO/mobile.log" &
MOBILE_PID=$!
trap 'kill $RELAY_PID $SERVE_PID $MOBILE_PID 2>/dev/null' EXIT
RELAY=git://127.0.0.1:$PORT_RELAY/relay.git
CENTER=git://127.0.0.1:$PORT_SERVE/archive.git
# Until both answer (a few tenths of a second).
for _ in $(seq 50); do
	git ls-remote "$RELAY" >/dev/null 2>&1 && git ls-remote "$CENTER" >/dev/null 2>&1 && break
	sleep 0.1
done
echo "  relay:  $RELAY (a plain bare repository: git daemon, no civic)"
echo "  center: $CENTER (civic serve, read-only)"
civic civic-center peer add relay "$RELAY" --relay
for n in $(nodes); do
	[ "$n" = civic-center ] && continue
	civic "$n" peer add relay "$RELAY" --relay
	civic "$n" peer add center "$CENTER"
done
# Neighbours on one village network reach each other directly.
civic bobov-dol peer add dupnitsa "$DEMO/dupnitsa/archive.git"
civic dupnitsa peer add bobov-dol "$DEMO/bobov-dol/archive.git"
civic treklyano peer add mobile "git://127.0.0.1:$PORT_MOBILE/relay.git" --relay

# sync_show NODE PEER...: one sync, its summary line.
sync_show() {
	n=$1
	shift
	civic "$n" sync "$@" | grep '^sync \|^attachments \|^  the link dropped' | sed "s|^|  $n: |"
}

OFFLINE="nevestino treklyano"
say "Round 1: the Civic Center and seven NGOs sync through the relay; $OFFLINE have no signal"
sync_show civic-center relay
for n in $(nodes); do
	case " civic-center $OFFLINE " in *" $n "*) continue ;; esac
	sync_show "$n" relay
done
say "Neighbours sync directly: Бобов дол and Дупница"
sync_show bobov-dol dupnitsa
sync_show dupnitsa bobov-dol

say "Round 2: $OFFLINE come online: Невестино with the Civic Center and the relay; Трекляно on a mobile link that drops every 32 KB"
sync_show nevestino center relay
sync_show treklyano center mobile
echo "  the mobile link dropped $(grep -c '^cut ' "$DEMO/mobile.log") times; every photo that reached Трекляно was checked against its record"

say "Round 3: everyone syncs once more, and the network converges"
sync_show civic-center relay
for n in $(nodes); do
	[ "$n" = civic-center ] && continue
	sync_show "$n" relay
done

# Two keys that are never synced, only admitted: the Civic Center's backup
# admin key, and the network's auditor.
for extra in center-backup auditor; do
	head -c 18 /dev/urandom | base64 > "keys/$extra.pass"
	chmod 600 "keys/$extra.pass"
done
"$CIVIC" --home "$DEMO/center-backup" init --name "Граждански център – резервен ключ" --municipality kyustendil \
	--role civic-center --passphrase-file keys/center-backup.pass >/dev/null
"$CIVIC" --home "$DEMO/auditor" init --name "Независим одитор на мрежата" --municipality kyustendil \
	--role auditor --passphrase-file keys/auditor.pass >/dev/null
cp -a civic-center center-laptop
cp keys/civic-center.pass keys/center-laptop.pass
before=$(git_of civic-center rev-parse refs/civic/roster)

say "The roster forks: the Civic Center's office admits a backup admin key while its coordinator, offline at a meeting, admits an auditor from a laptop"
civic civic-center member add --name "Граждански център – резервен ключ" --municipality kyustendil \
	--role civic-center --key "$(civic center-backup id | head -n 1)" | sed 's/^/  office: /'
sync_show civic-center relay
civic center-laptop member add --name "Независим одитор на мрежата" --municipality kyustendil \
	--role auditor --key "$(civic auditor id | head -n 1)" | sed 's/^/  laptop: /'
sync_show center-laptop relay
for n in $(nodes); do
	sync_show "$n" relay
done
civic rila status | grep 'ROSTER FORK' | sed 's/^/  rila: /'

say "The Civic Center settles the fork with one signed roster commit that joins both rosters"
civic civic-center fork resolve --keep "$(git_of civic-center rev-parse refs/civic/roster)" \
	--reason "И резервният ключ, и одиторът са приети" | sed 's/^/  settlement: /'
settled=$(git_of civic-center rev-parse refs/civic/roster)
sync_show civic-center relay
sync_show center-laptop relay
for n in $(nodes); do
	sync_show "$n" relay
done
for n in $(nodes) center-laptop; do
	[ "$(git_of "$n" rev-parse refs/civic/roster)" = "$settled" ] ||
		{ echo "demo: $n does not hold the settled roster" >&2; exit 1; }
done
[ "$(git_of civic-center rev-list --count "$before..$settled")" = 3 ] ||
	{ echo "demo: the settled roster is not the two sides and the settlement" >&2; exit 1; }
civic rila network show | grep -e 'резервен ключ' -e 'одитор' | sed 's/^/  rila: /'
echo "  every node holds the settled roster, with both the backup admin key and the auditor"

say "The backup admin key's laptop is stolen: the office revokes the key, and the thief signs a roster of its own that admits a fake NGO"
civic center-backup network join "$NET" >/dev/null
civic center-backup peer add relay "$RELAY" --relay
civic center-backup sync relay >/dev/null
"$CIVIC" --home "$DEMO/fake-ngo" init --name "Фалшиво сдружение" --municipality kyustendil --role ngo \
	--no-passphrase >/dev/null
civic civic-center member revoke "$(civic center-backup id | sed -n 2p)" \
	--reason "Лаптопът с резервния ключ е откраднат" | sed 's/^/  office: /'
sync_show civic-center relay
civic center-backup member add --name "Фалшиво сдружение" --municipality kyustendil --role ngo \
	--key "$("$CIVIC" --home "$DEMO/fake-ngo" id | head -n 1)" | sed 's/^/  thief: /'
stolen=$(git_of center-backup rev-parse refs/civic/roster)
sync_show center-backup relay
for n in $(nodes); do
	sync_show "$n" relay
done

say "No settlement can take in a roster signed by a revoked key: the Civic Center abandons it"
civic civic-center fork resolve --keep "$(git_of civic-center rev-parse refs/civic/roster)" \
	--reason "Опит за уреждане" 2>&1 | sed 's/^/  /' || true
civic civic-center fork resolve --abandon "$stolen" \
	--reason "Подписан с откраднатия резервен ключ" | sed 's/^/  abandoned by record: /'
sync_show civic-center relay
for n in $(nodes); do
	sync_show "$n" relay
done
for n in $(nodes); do
	civic "$n" fork list | grep -q "^abandoned  $stolen " ||
		{ echo "demo: $n does not see the stolen key's roster abandoned" >&2; exit 1; }
	if civic "$n" network show | grep -q 'Фалшиво сдружение'; then
		echo "demo: $n admits the fake NGO" >&2
		exit 1
	fi
done
civic rila fork list | grep "$stolen" | sed 's/^/  rila: /'
echo "  every node keeps the thief's roster as evidence, abandoned, and admits no fake NGO"

say "What each node holds now, as civic status shows it at Рила"
civic rila status | sed 's/^/  /'

say "Every photo is on every node: fetched after the records, checked against their signatures"
photos=$(ls "$DEMO/civic-center/attachments/sha256" | wc -l)
for n in $(nodes); do
	[ "$(ls "$DEMO/$n/attachments/sha256" | wc -l)" = "$photos" ] ||
		{ echo "demo: $n lacks photos" >&2; exit 1; }
done
echo "  $photos attachment files on each of the ten nodes"

say "A photo withdrawn: Кюстендил retracts its photos of 10.08.2015, purging their bytes everywhere"
withdrawn=$(sed -n 's|^kyustendil/02-photos-2015-08-10.json ||p' ids)
civic kyustendil add retraction --field retracts="$withdrawn" --field visibility=public \
	--field title="Оттегляне на снимките от 10.08.2015" \
	--field reason="Човек на снимките оттегли съгласието си да бъдат публикувани" \
	--field purge_attachments:=true 2>&1 >/dev/null | sed 's/^/  kyustendil: /'
sync_show kyustendil relay
for n in $(nodes); do
	[ "$n" = kyustendil ] && continue
	sync_show "$n" relay
done
left=$((photos - $(wc -l < "$ARCHIVE/kyustendil/02-photos-2015-08-10.attach")))
for n in $(nodes); do
	[ "$(ls "$DEMO/$n/attachments/sha256" | wc -l)" = "$left" ] ||
		{ echo "demo: $n still holds withdrawn photos" >&2; exit 1; }
done
[ -z "$(git --git-dir "$DEMO/relay.git" for-each-ref "refs/civic/attachments/$withdrawn")" ] ||
	{ echo "demo: the relay still holds the withdrawn photos" >&2; exit 1; }
echo "  $left attachment files on each node, none on the relay of the withdrawn record; the record and its retraction stay signed"

say "What the network holds (as the Civic Center sees it)"
civic civic-center list | sed 's/^/  /'

say "Every node audits the whole archive"
for n in $(nodes); do
	printf '  %-16s ' "$n"
	civic "$n" audit | tail -n 1
done
civic civic-center audit | tail -n 2 | head -n 1 | sed 's/^/  /'
# archive_refs NODE: the archive proper (roster, feeds, attachments), not
# the nodes' statements of what they hold, nor the evidence of the roster
# fork the settled roster holds (which side each node saw first), which
# differ by nature.
archive_refs() {
	git_of "$1" for-each-ref --format='%(objectname) %(refname)' refs/civic |
		grep -v -e ' refs/civic/state/' -e ' refs/civic/forks/roster/'
}
first=$(archive_refs civic-center | sha256sum)
for n in $(nodes); do
	[ "$(archive_refs "$n" | sha256sum)" = "$first" ] ||
		{ echo "demo: $n holds a different archive" >&2; exit 1; }
done
echo "  all ten archives are identical"
states=$(git_of rila for-each-ref refs/civic/state/ | wc -l)
echo "  Рила holds the signed statements of what $states nodes hold, carried by the relay"
[ "$states" = 10 ] || { echo "demo: Рила has $states statements, not 10" >&2; exit 1; }

say "An auditor checks without civic: stock git and OpenSSH"
civic civic-center allowed-signers > allowed_signers
git_of civic-center fsck --strict --full --no-dangling 2>&1 | grep -v 'unborn branch' || true
checked=0
for c in $(git_of civic-center rev-list refs/civic/roster --glob="refs/civic/feeds/*" --glob="refs/civic/state/*"); do
	git_of civic-center -c gpg.ssh.allowedSignersFile="$DEMO/allowed_signers" verify-commit "$c" 2>/dev/null ||
		{ echo "demo: git verify-commit failed for $c" >&2; exit 1; }
	checked=$((checked + 1))
done
echo "  git verify-commit: $checked signed commits good; git fsck --strict --full: clean"

say "Done: the nodes are in $DEMO"
