package notice

// The starter set: the notices defense lines exchange most, in English,
// Korean and Chinese. A line is proposed with it unless the proposer
// leaves it out; the parties may edit it before they sign.

func tr(en, ko, zh string) Text { return Text{"en": en, "ko": ko, "zh": zh} }

func choice(value string, labels Text) Choice { return Choice{Value: value, Labels: labels} }

var yesNo = []Choice{choice("yes", tr("Yes", "예", "是")), choice("no", tr("No", "아니요", "否"))}

func field(name string, t Type, required bool, labels Text) Field {
	return Field{Name: name, Type: t, Required: required, Labels: labels}
}

func (f Field) help(h Text) Field         { f.Help = h; return f }
func (f Field) choices(c ...Choice) Field { f.Choices = c; return f }
func (f Field) units(u ...string) Field   { f.Units = u; return f }

func remarks() Field {
	return field("remarks", TypeText, false, tr("Remarks", "비고", "备注"))
}

// Starter returns a new copy of the starter set.
func Starter() Set {
	return Set{
		{
			ID:     "call-request",
			Labels: tr("Request for a call or talks", "통화 또는 회담 요청", "通话或会谈请求"),
			Help: tr("Ask the other party for a call, a video call or talks, and say what about.",
				"상대측에 전화 통화, 화상 통화 또는 회담을 요청하고 그 주제를 밝힌다.",
				"请求对方进行电话通话、视频通话或会谈，并说明议题。"),
			Fields: []Field{
				field("kind", TypeChoice, true, tr("Kind", "종류", "类型")).choices(
					choice("call", tr("Telephone call", "전화 통화", "电话通话")),
					choice("video", tr("Video call", "화상 통화", "视频通话")),
					choice("talks", tr("Talks in person", "대면 회담", "面对面会谈"))),
				field("subject", TypeText, true, tr("Subject", "주제", "议题")),
				field("proposed-time", TypeDateTime, false, tr("Proposed time (UTC)", "제안 시각 (UTC)", "建议时间（UTC）")),
				field("duration", TypeDuration, false, tr("Expected duration", "예상 소요 시간", "预计时长")),
				field("level", TypeChoice, false, tr("Level", "급", "级别")).choices(
					choice("working", tr("Working level", "실무급", "工作级")),
					choice("senior", tr("Senior level", "고위급", "高级别")),
					choice("ministerial", tr("Ministerial level", "장관급", "部长级"))),
				field("participants", TypeText, false, tr("Participants", "참석자", "参加人员")),
			},
		},
		{
			ID:     "exercise-notice",
			Labels: tr("Notice of a military exercise", "군사 훈련 통보", "军事演习通报"),
			Help: tr("Notify the other party of an exercise: where, when, which forces, and whether there is live fire.",
				"훈련의 장소, 기간, 참가 전력, 실사격 여부를 상대측에 통보한다.",
				"向对方通报演习的地点、时间、参演兵力及是否实弹射击。"),
			Fields: []Field{
				field("name", TypeText, true, tr("Exercise name", "훈련 명칭", "演习名称")),
				field("area", TypeArea, true, tr("Area", "훈련 구역", "演习区域")).help(tr(
					"A centre and radius, as 37.5N,126.9E,50km, or a polygon, as 37N,126E;38N,126E;38N,127E.",
					"중심과 반경(예: 37.5N,126.9E,50km) 또는 다각형(예: 37N,126E;38N,126E;38N,127E).",
					"中心点和半径（如 37.5N,126.9E,50km）或多边形（如 37N,126E;38N,126E;38N,127E）。")),
				field("start", TypeDateTime, true, tr("Start (UTC)", "시작 (UTC)", "开始时间（UTC）")),
				field("end", TypeDateTime, true, tr("End (UTC)", "종료 (UTC)", "结束时间（UTC）")),
				field("forces", TypeText, true, tr("Forces taking part", "참가 전력", "参演兵力")),
				field("personnel", TypeNumber, false, tr("Personnel (approximate)", "참가 인원 (약)", "参演人数（约）")),
				field("live-fire", TypeChoice, true, tr("Live fire", "실사격", "实弹射击")).choices(yesNo...),
				remarks(),
			},
			Rules: []Rule{{Field: "end", NotBefore: "start"}},
		},
		{
			ID:     "launch-notice",
			Labels: tr("Notice of a missile or rocket launch", "미사일 또는 로켓 발사 통보", "导弹或火箭发射通报"),
			Help: tr("Notify the other party of a launch before it happens: the window, where it is launched from and where it comes down.",
				"발사 전에 발사 시간대, 발사 구역, 낙하 구역을 상대측에 통보한다.",
				"在发射前向对方通报发射时间窗口、发射区域和落区。"),
			Fields: []Field{
				field("vehicle", TypeChoice, true, tr("Vehicle", "발사체", "发射载具")).choices(
					choice("ballistic-missile", tr("Ballistic missile", "탄도 미사일", "弹道导弹")),
					choice("cruise-missile", tr("Cruise missile", "순항 미사일", "巡航导弹")),
					choice("space-launch", tr("Space launch vehicle", "우주 발사체", "运载火箭")),
					choice("rocket", tr("Rocket or artillery rocket", "로켓 또는 방사포", "火箭或火箭炮"))),
				field("window-start", TypeDateTime, true, tr("Launch window opens (UTC)", "발사 시간대 시작 (UTC)", "发射窗口开始（UTC）")),
				field("window-end", TypeDateTime, true, tr("Launch window closes (UTC)", "발사 시간대 종료 (UTC)", "发射窗口结束（UTC）")),
				field("launch-area", TypeArea, true, tr("Launch area", "발사 구역", "发射区域")),
				field("impact-area", TypeArea, true, tr("Impact area", "낙하 구역", "落区")),
				field("max-altitude", TypeNumber, false, tr("Highest altitude", "최고 고도", "最大高度")).units("km"),
				remarks(),
			},
			Rules: []Rule{{Field: "window-end", NotBefore: "window-start"}},
		},
		{
			ID:     "encounter-report",
			Labels: tr("Report of an unplanned encounter at sea or in the air", "해상 또는 공중 우발 조우 보고", "海上或空中意外相遇报告"),
			Help: tr("Report an unplanned encounter between units in the spirit of CUES: when, where, which units, and what happened.",
				"해상 우발 조우 규칙(CUES)의 취지에 따라 부대 간 우발 조우의 일시, 위치, 관련 부대, 경과를 보고한다.",
				"本着《海上意外相遇规则》（CUES）的精神，报告部队之间意外相遇的时间、位置、相关部队及经过。"),
			Fields: []Field{
				field("domain", TypeChoice, true, tr("At sea or in the air", "해상 또는 공중", "海上或空中")).choices(
					choice("sea", tr("At sea", "해상", "海上")),
					choice("air", tr("In the air", "공중", "空中"))),
				field("time", TypeDateTime, true, tr("Time (UTC)", "일시 (UTC)", "时间（UTC）")),
				field("position", TypePosition, true, tr("Position", "위치", "位置")).help(tr(
					"As 37.5N,126.9E or 37°30'00\"N 126°54'00\"E.",
					"예: 37.5N,126.9E 또는 37°30'00\"N 126°54'00\"E.",
					"如 37.5N,126.9E 或 37°30'00\"N 126°54'00\"E。")),
				// Labels that name sides by role, not as "ours" and
				// "theirs": the reader is the other side.
				field("reporting-units", TypeText, true, tr("Units of the reporting party", "보고측 부대", "报告方部队")),
				field("other-units", TypeText, true, tr("Units of the other party", "상대 당사자 부대", "另一方部队")),
				field("closest-approach", TypeNumber, false, tr("Closest approach", "최근접 거리", "最近距离")).units("m", "nm"),
				field("what-happened", TypeText, true, tr("What happened", "경과", "经过")),
				field("actions-taken", TypeText, false, tr("Actions taken", "조치 사항", "采取的措施")),
			},
		},
		{
			ID:     "clarification-request",
			Labels: tr("Request for clarification of an incident", "사건 해명 요청", "事件澄清请求"),
			Help: tr("Ask the other party to explain an incident, and by when.",
				"상대측에 사건에 대한 해명을 요청하고 회신 기한을 밝힌다.",
				"请求对方就某一事件作出说明，并注明答复期限。"),
			Fields: []Field{
				field("incident-time", TypeDateTime, true, tr("Time of the incident (UTC)", "사건 일시 (UTC)", "事件时间（UTC）")),
				field("incident-position", TypePosition, false, tr("Position of the incident", "사건 위치", "事件位置")),
				field("incident", TypeText, true, tr("The incident", "사건 내용", "事件内容")),
				field("reference", TypeText, false, tr("Earlier message", "관련 전문", "相关电文")).help(tr(
					"The ID of an earlier message about it, such as seoul-17.",
					"관련된 이전 전문의 ID (예: seoul-17).",
					"相关前一份电文的编号，如 seoul-17。")),
				field("questions", TypeText, true, tr("Questions", "질의 사항", "问题")),
				field("reply-by", TypeDateTime, false, tr("Reply requested by (UTC)", "회신 요청 기한 (UTC)", "请求答复期限（UTC）")),
			},
			Rules: []Rule{{Field: "reply-by", NotBefore: "incident-time"}},
		},
		{
			ID:     "exchange-proposal",
			Labels: tr("Proposal of an exchange event", "교류 행사 제안", "交流活动提议"),
			Help: tr("Propose a visit, a meeting or another exchange between the parties' forces.",
				"양측 군 간의 방문, 회의 또는 기타 교류 행사를 제안한다.",
				"提议双方军队之间的访问、会议或其他交流活动。"),
			Fields: []Field{
				field("kind", TypeChoice, true, tr("Kind of event", "행사 종류", "活动类型")).choices(
					choice("port-visit", tr("Port call", "함정 입항 방문", "舰艇访问")),
					choice("delegation", tr("Delegation visit", "대표단 방문", "代表团访问")),
					choice("working-meeting", tr("Working meeting", "실무 회의", "工作会议")),
					choice("academic", tr("Academic exchange", "학술 교류", "学术交流")),
					choice("other", tr("Other", "기타", "其他"))),
				field("title", TypeText, true, tr("Title", "행사명", "活动名称")),
				field("place", TypeText, true, tr("Place", "장소", "地点")),
				field("start", TypeDateTime, true, tr("Start (UTC)", "시작 (UTC)", "开始时间（UTC）")),
				field("end", TypeDateTime, true, tr("End (UTC)", "종료 (UTC)", "结束时间（UTC）")),
				field("participants", TypeNumber, false, tr("Participants", "참가 인원", "参加人数")),
				field("contact", TypeText, false, tr("Point of contact", "연락 담당", "联络人")),
				remarks(),
			},
			Rules: []Rule{{Field: "end", NotBefore: "start"}},
		},
	}
}
